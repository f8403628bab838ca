import { mayApprove } from "../../policy/approval.ts";
import { recordApproval } from "../../requests/index.ts";
import { buildRequestCard } from "../request-card.ts";
import { refreshRequestMessage } from "../request-updates.ts";
import { slackGroupResolver } from "../user-groups.ts";
import { ACTION } from "../views/action-ids.ts";
import { noticeMessage } from "../views/error-message.ts";
import type { ClickHandler } from "./click.ts";

export const approveAction = ACTION.approve;

/**
 * Approve: only an approver, never the requester, once per person, while the request is pending and
 * not expired, and not while lint findings block it. The store counts the approval under a row lock;
 * the last one approves the request and writes its outbox row in the same transaction.
 */
export const onApprove: ClickHandler = async ({ click, request, deps, client, tell }) => {
  const environment = deps.config.environments[request.environment];
  if (request.requestedBy === click.userId) {
    await tell(noticeMessage("You cannot approve your own request; nothing changed.", "Another approver has to approve it."));
    return { outcome: "own_request" };
  }
  if (!environment || !(await mayApprove(environment, click.userId, slackGroupResolver(client)))) {
    await tell(noticeMessage(`You are not an approver for ${request.environment}; nothing changed.`, "The environment's `approvers` in the config say who is."));
    return { outcome: "not_an_approver" };
  }
  // An expired or decided request is answered by the store below; lint only matters for one still open.
  if (request.status === "pending" && request.expiresAt > deps.now()) {
    const card = await buildRequestCard(deps, request);
    if (card.blocking.length > 0 && !card.overriddenBy) {
      await tell(noticeMessage("Lint findings block this request; nothing changed.", "Read them in the message; an approver may click Override (audited) first."));
      return { outcome: "blocked_by_lint" };
    }
  }
  const { outcome, request: after } = await recordApproval(deps.control, request.id, click.userId, deps.now());
  const current = after ?? request;
  if (outcome === "approved" || outcome === "counted" || outcome === "expired") await refreshRequestMessage(deps, client, current);
  if (outcome === "approved") await deps.dispatchOutbox?.();
  const notices = {
    approved: undefined,
    counted: `Approval counted: ${current.approvals.length} of ${current.approvalsRequired}.`,
    duplicate: "You already approved this request; nothing changed.",
    own_request: "You cannot approve your own request; nothing changed.",
    expired: "This request has expired; nothing changed and nothing ran. Ask again with the same command.",
    not_pending: `This request is already ${current.status.replace("_", " ")}; nothing changed.`,
  } as const;
  // Expired by this click or earlier by the worker's sweep: the same answer.
  const notice = current.status === "expired" ? notices.expired : notices[outcome];
  if (notice) await tell(noticeMessage(notice));
  return { outcome, detail: { status: current.status, approvals: current.approvals.length } };
};
