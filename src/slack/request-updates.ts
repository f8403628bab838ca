import type { webApi } from "@slack/bolt";
import type { ChangeRequest } from "../requests/index.ts";
import type { SlackDeps } from "./deps.ts";
import { buildRequestCard } from "./request-card.ts";
import { refreshHomes } from "./home.ts";
import { updateMessage } from "./send.ts";
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
  await updateMessage(client, { channel: request.channelId, ts: request.messageTs }, message);
  // Home tabs list what waits for approval: they follow the request.
  refreshHomes(sources);
}
