import { mayApprove } from "../../policy/approval.ts";
import { audit } from "../../requests/index.ts";
import { buildRequestCard, OVERRIDE_ACTION } from "../request-card.ts";
import { refreshRequestMessage } from "../request-updates.ts";
import { slackGroupResolver } from "../user-groups.ts";
import { ACTION } from "../views/action-ids.ts";
import { noticeMessage } from "../views/error-message.ts";
import type { ClickHandler } from "./click.ts";

export const overrideAction = ACTION.override;

/**
 * Override: an approver explicitly sets blocking lint findings aside. It is written to the audit log
 * with the findings it overrode before the message changes; the approvals are still needed after it.
 */
export const onOverride: ClickHandler = async ({ click, request, deps, client, tell }) => {
  const environment = deps.config.environments[request.environment];
  if (!environment || !(await mayApprove(environment, click.userId, slackGroupResolver(client)))) {
    await tell(noticeMessage(`Only an approver for ${request.environment} can override lint findings; nothing changed.`));
    return { outcome: "not_an_approver" };
  }
  if (request.status !== "pending") {
    await tell(noticeMessage(`This request is already ${request.status}; nothing changed.`));
    return { outcome: "not_pending" };
  }
  const card = await buildRequestCard(deps, request);
  if (card.blocking.length === 0 || card.overriddenBy) {
    await tell(noticeMessage("Nothing to override on this request; nothing changed."));
    return { outcome: "nothing_to_override" };
  }
  await audit(deps.control, {
    actor: click.userId,
    teamId: click.teamId,
    action: OVERRIDE_ACTION,
    requestId: request.id,
    environment: request.environment,
    detail: { findings: card.blocking },
  });
  await refreshRequestMessage(deps, client, request);
  return { outcome: "overridden", detail: { findings: card.blocking.length } };
};
