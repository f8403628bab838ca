import { mayApprove } from "../../policy/approval.ts";
import { finishWatch, watchOfRequest } from "../../requests/index.ts";
import { refreshRequestMessage } from "../request-updates.ts";
import { postMessage } from "../send.ts";
import { slackGroupResolver } from "../user-groups.ts";
import { ACTION } from "../views/action-ids.ts";
import { section, userMention } from "../views/blocks.ts";
import { noticeMessage } from "../views/error-message.ts";
import type { ClickHandler } from "./click.ts";

export const keepWatchAction = ACTION.keepWatch;

/** Keep: an approver ends the watch after an apply early; the change stays and no more checks run. */
export const onKeepWatch: ClickHandler = async ({ click, request, deps, client, tell }) => {
  const environment = deps.config.environments[request.environment];
  if (!environment || !(await mayApprove(environment, click.userId, slackGroupResolver(client)))) {
    await tell(noticeMessage(`You are not an approver for ${request.environment}; the watch goes on.`));
    return { outcome: "not_an_approver" };
  }
  const watch = await watchOfRequest(deps.control, request.id);
  const ended = watch && (await finishWatch(deps.control, watch.id, { status: "kept", rounds: watch.rounds, errors: watch.errors }, click.userId));
  if (!watch || !ended) {
    await tell(noticeMessage(`The watch is already ${watch?.status.replace(/_/g, " ") ?? "over"}; nothing changed.`));
    return { outcome: "not_watching" };
  }
  await refreshRequestMessage(deps, client, request);
  const text = `:white_check_mark: watch ended early by ${userMention(click.userId)}: the change stays`;
  if (request.channelId && request.messageTs) await postMessage(client, { channel: request.channelId, threadTs: request.messageTs }, { text, blocks: [section(text)] });
  return { outcome: "kept", detail: { watchId: watch.id, rounds: watch.rounds } };
};
