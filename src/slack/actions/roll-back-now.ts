import { mayApprove } from "../../policy/approval.ts";
import { requestWatchRollback, watchOfRequest } from "../../requests/index.ts";
import { postMessage } from "../send.ts";
import { slackGroupResolver } from "../user-groups.ts";
import { ACTION } from "../views/action-ids.ts";
import { section, userMention } from "../views/blocks.ts";
import { noticeMessage } from "../views/error-message.ts";
import type { ClickHandler } from "./click.ts";

export const rollBackNowAction = ACTION.rollBackNow;

/**
 * Roll back now: an approver ends the watch with a rollback, without waiting for a check to fail. The worker
 * runs it (the watch's next job, woken at once where the bot runs the queue), like an automatic one.
 */
export const onRollBackNow: ClickHandler = async ({ click, request, deps, client, tell }) => {
  const environment = deps.config.environments[request.environment];
  if (!environment || !(await mayApprove(environment, click.userId, slackGroupResolver(client)))) {
    await tell(noticeMessage(`You are not an approver for ${request.environment}; nothing changed.`));
    return { outcome: "not_an_approver" };
  }
  const watch = await watchOfRequest(deps.control, request.id);
  const asked = watch && (await requestWatchRollback(deps.control, watch.id, click.userId));
  if (!watch || !asked) {
    await tell(noticeMessage(`The watch is already ${watch?.status.replace(/_/g, " ") ?? "over"} (or a rollback was asked for); nothing changed.`));
    return { outcome: "not_watching" };
  }
  await deps.wakeWatch?.(watch.id);
  const text = `:leftwards_arrow_with_hook: ${userMention(click.userId)} asked to roll back now`;
  if (request.channelId && request.messageTs) await postMessage(client, { channel: request.channelId, threadTs: request.messageTs }, { text, blocks: [section(text)] });
  return { outcome: "rollback_requested", detail: { watchId: watch.id } };
};
