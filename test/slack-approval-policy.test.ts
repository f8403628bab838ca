import { describe, expect, it } from "vitest";
import { EnvironmentSchema, type Environment } from "../src/config/index.ts";
import { RookeryError } from "../src/errors.ts";
import { approvalsNeeded, describeLastApproval, mayApprove, mayRequest } from "../src/policy/approval.ts";

const environment = (settings: Record<string, unknown>): Environment => ({
  ...EnvironmentSchema.parse({ databaseUrl: "postgres://unused", ...settings }),
  name: "production",
});
const groups: Record<string, string[]> = { SDBAS: ["UDBA1", "UDBA2"] };
const resolve = async (group: string) => groups[group] ?? [];

describe("who may request and approve, and how many approvals a change needs", () => {
  it("admits approvers by user id or through a user group, and nobody else", async () => {
    const production = environment({ approvals: 2, approvers: ["UALICE", "SDBAS"] });
    expect(await mayApprove(production, "UALICE", resolve)).toBe(true);
    expect(await mayApprove(production, "UDBA2", resolve)).toBe(true);
    expect(await mayApprove(production, "UMALLORY", resolve)).toBe(false);
    // A group Slack does not know admits nobody.
    expect(await mayApprove(environment({ approvers: ["SUNKNOWN"] }), "UDBA1", resolve)).toBe(false);
  });

  it("lets everyone request when requesters is empty, else only those listed", async () => {
    expect(await mayRequest(environment({}), "UANYONE", resolve)).toBe(true);
    const restricted = environment({ requesters: ["SDBAS"] });
    expect(await mayRequest(restricted, "UDBA1", resolve)).toBe(true);
    expect(await mayRequest(restricted, "UANYONE", resolve)).toBe(false);
  });

  it("adds the lint gate's extra approval, needs one for a blocked request, and refuses when nobody could approve", () => {
    expect(approvalsNeeded(environment({ approvals: 2, approvers: ["UALICE"] }), { extraApprovals: 1, blocked: false })).toBe(3);
    expect(approvalsNeeded(environment({ approvals: 0, approvers: ["UALICE"] }), { extraApprovals: 0, blocked: true })).toBe(1);
    expect(approvalsNeeded(environment({ approvals: 0 }), { extraApprovals: 0, blocked: false })).toBe(0);
    expect(() => approvalsNeeded(environment({ approvals: 1 }), { extraApprovals: 0, blocked: false })).toThrow(RookeryError);
    expect(() => approvalsNeeded(environment({ approvals: 1 }), { extraApprovals: 0, blocked: false })).toThrow(
      "production needs 1 approval for this change but has no approvers",
    );
    // With `approvals: 0`, the refusal says what asks for an approval, and how to do without one.
    expect(() => approvalsNeeded(environment({ approvals: 0 }), { extraApprovals: 0, blocked: true })).toThrow(
      "production needs 1 approval for this change (its lint findings block it until an approver overrides) but has no approvers",
    );
    expect(() => approvalsNeeded(environment({ approvals: 0 }), { extraApprovals: 1, blocked: false })).toThrow(
      "production needs 1 approval for this change (a DDL Delete needs one approval more than the environment's) but has no approvers",
    );
  });

  it("says what the last approval does", () => {
    expect(describeLastApproval(2, null)).toBe("The last approval runs it at once");
    expect(describeLastApproval(0, null)).toBe("Runs at once, no approval needed");
    expect(describeLastApproval(1, new Date("2026-11-26T09:00:00Z"))).toBe("The last approval runs it at the next deployment window (2026-11-26 09:00 UTC)");
  });
});
