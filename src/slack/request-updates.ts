import type { webApi } from "@slack/bolt";
import type { ChangeRequest } from "../requests/index.ts";
import type { SlackDeps } from "./deps.ts";
import { buildRequestCard } from "./request-card.ts";
import type { SlackMessage } from "./views/blocks.ts";
import { requestMessage } from "./views/request-message.ts";

type Sources = Pick<SlackDeps, "config" | "control" | "loadCatalog" | "now">;

/** Re-renders the request's own message in place (chat.update): approvals, job start, progress, result. */
export async function refreshRequestMessage(
  sources: Sources,
  client: webApi.WebClient,
  request: ChangeRequest,
  progress?: string,
): Promise<void> {
  if (!request.channelId || !request.messageTs) return;
  const message = requestMessage(await buildRequestCard(sources, request, progress));
  await client.chat.update({ channel: request.channelId, ts: request.messageTs, text: message.text, blocks: message.blocks });
}

/** A detail under the request message, so the channel sees one message per request and the story in its thread. */
export async function replyInThread(client: webApi.WebClient, request: ChangeRequest, message: SlackMessage): Promise<void> {
  if (!request.channelId || !request.messageTs) return;
  await client.chat.postMessage({
    channel: request.channelId,
    thread_ts: request.messageTs,
    text: message.text,
    blocks: message.blocks,
  });
}
