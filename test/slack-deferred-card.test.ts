import { describe, expect, it } from "vitest";
import type { ChangeRequest } from "../src/requests/index.ts";
import { requestMessage } from "../src/slack/views/request-message.ts";

function approvedRequest(overrides: Partial<ChangeRequest>): ChangeRequest {
  const now = new Date();
  return {
    id: "00000000-0000-4000-8000-000000000001",
    kind: "apply",
    environment: "production",
    versions: ["20251101_000001"],
    checksums: { "20251101_000001": "a".repeat(64) },
    reason: null,
    requestedBy: "UREQUESTER",
    teamId: "T1",
    channelId: "C1",
    messageTs: "1.2",
    approvalsRequired: 1,
    approvals: [{ userId: "UAPPROVER1", at: now } as ChangeRequest["approvals"][number]],
    status: "approved",
    createdAt: now,
    expiresAt: new Date(now.getTime() + 3_600_000),
    notBefore: null,
    breakGlass: false,
    decidedBy: null,
    error: null,
    result: null,
    attempts: 0,
    updatedAt: now,
    ...overrides,
  };
}

const card = (request: ChangeRequest) => ({ request, migrations: [], blocking: [], lastApprovalDoes: "" });

describe("the request message of a request deferred to a deployment window", () => {
  it("says when it will run instead of 'about to be queued'", () => {
    const notBefore = new Date(Date.now() + 5 * 3_600_000);
    for (const status of ["approved", "queued"] as const) {
      const message = requestMessage(card(approvedRequest({ status, notBefore })));
      expect(message.text).toContain(`approved, runs at the next deployment window (${notBefore.toISOString().slice(0, 16).replace("T", " ")} UTC)`);
      expect(message.text).not.toContain("about to be queued");
    }
  });

  it("reads as before once the window is open, or when it never waited", () => {
    expect(requestMessage(card(approvedRequest({ notBefore: null }))).text).toContain("approved, about to be queued");
    expect(requestMessage(card(approvedRequest({ status: "queued", notBefore: new Date(Date.now() - 60_000) }))).text).toContain("approved, queued");
  });
});
