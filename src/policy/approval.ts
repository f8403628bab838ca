import type { Environment } from "../config/index.ts";
import { RookeryError } from "../errors.ts";

/**
 * Who may ask for a change in an environment, who may approve it, and how many approvals it needs.
 * Principals are Slack user ids (U…/W…) or user group ids (S…); groups are expanded by the caller's
 * resolver (the Slack layer asks usergroups.users.list), so this module knows nothing of Slack.
 */

export type GroupResolver = (groupId: string) => Promise<string[]>;

const isGroup = (principal: string) => principal.startsWith("S");

async function isAmong(principals: string[], userId: string, resolveGroup: GroupResolver): Promise<boolean> {
  if (principals.includes(userId)) return true;
  for (const group of principals.filter(isGroup)) {
    if ((await resolveGroup(group)).includes(userId)) return true;
  }
  return false;
}

/** `requesters` empty means everyone in the channel may ask. */
export async function mayRequest(environment: Environment, userId: string, resolveGroup: GroupResolver): Promise<boolean> {
  return environment.requesters.length === 0 || isAmong(environment.requesters, userId, resolveGroup);
}

export function mayApprove(environment: Environment, userId: string, resolveGroup: GroupResolver): Promise<boolean> {
  return isAmong(environment.approvers, userId, resolveGroup);
}

/**
 * Approvals a request needs: the environment's `approvals`, plus what the lint gate adds (a DDL Delete
 * needs one more), and at least one when lint findings block it (someone must look and override).
 * A request that needs approvals in an environment without approvers could never run: refused up front.
 */
export function approvalsNeeded(environment: Environment, gate: { extraApprovals: number; blocked: boolean }): number {
  const needed = Math.max(environment.approvals + gate.extraApprovals, gate.blocked ? 1 : 0);
  if (needed > 0 && environment.approvers.length === 0) {
    // Where the environment itself needs none (`approvals: 0`), say what asks for one: the user sees no other reason.
    const why =
      environment.approvals > 0 ? ""
      : gate.blocked ? " (its lint findings block it until an approver overrides)"
      : " (a DDL Delete needs one approval more than the environment's)";
    throw new RookeryError(`${environment.name} needs ${needed} approval${needed === 1 ? "" : "s"} for this change${why} but has no approvers`, {
      hint: `${gate.blocked && environment.approvals === 0 ? `Fix the findings \`/migrate plan ${environment.name}\` lists, or add` : "Add"} Slack user or group ids to environments.${environment.name}.approvers in the config.`,
    });
  }
  return needed;
}

export function expiryFor(environment: Environment, now: Date): Date {
  return new Date(now.getTime() + environment.expiresMinutes * 60_000);
}

/** What the last approval sets off, in the words the request message shows. */
export function describeLastApproval(needed: number, notBefore: Date | null): string {
  const when = notBefore ? `at the next deployment window (${notBefore.toISOString().slice(0, 16).replace("T", " ")} UTC)` : "at once";
  return needed === 0 ? `Runs ${when}, no approval needed` : `The last approval runs it ${when}`;
}
