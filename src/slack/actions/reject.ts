import { mayApprove } from "../../policy/approval.ts";
import { cancelRequest, rejectRequest } from "../../requests/index.ts";
import { rejectReasonModal } from "../modals/reject-reason.ts";
import { refreshRequestMessage } from "../request-updates.ts";
import { slackGroupResolver } from "../user-groups.ts";
import { ACTION } from "../views/action-ids.ts";
import { noticeMessage } from "../views/error-message.ts";
import type { ClickHandler } from "./click.ts";

export const rejectAction = ACTION.reject;

/** Reject: an approver turns a pending request down; the requester withdrawing their own cancels it. */
export const onReject: ClickHandler = async ({ click, request, deps, client, tell }) => {
  const environment = deps.config.environments[request.environment];
  const own = request.requestedBy === click.userId;
  if (!own && (!environment || !(await mayApprove(environment, click.userId, slackGroupResolver(client))))) {
    await tell(noticeMessage(`You are not an approver for ${request.environment}; nothing changed.`));
    return { outcome: "not_an_approver" };
  }
  // An approver says why, in a modal; the requester withdrawing needs no reason.
  if (!own && click.triggerId && request.status === "pending") {
    await rejectReasonModal.open(client, click.triggerId, { requestId: request.id });
    return { outcome: "asked_for_reason" };
  }
  const close = own ? cancelRequest : rejectRequest;
  const { outcome, request: after } = await close(deps.control, request.id, click.userId, deps.now());
  if (outcome === "not_pending") {
    await tell(noticeMessage(`This request is already ${(after ?? request).status}; nothing changed.`));
    return { outcome };
  }
  await refreshRequestMessage(deps, client, after ?? request);
  return { outcome: own ? "cancelled" : "rejected" };
};
