import type { RespondFn, webApi } from "@slack/bolt";
import { RookeryError } from "../errors.ts";
import { fitMessage, type SlackMessage } from "./views/blocks.ts";
import { slackErrorCode, slackErrorHint } from "./slack-errors.ts";
import { messageViolation, viewViolation } from "./views/limits.ts";

/**
 * The only way a message leaves the app: fitted to Slack's limits (blocks.ts) and checked against them
 * (limits.ts, the same check the fake Web API makes), so a layout Slack would refuse is a bug caught
 * here with the offending path named, not a silent `invalid_blocks` in production.
 */
export function checkedMessage(message: SlackMessage): SlackMessage {
  const fitted = fitMessage(message);
  const violation = messageViolation(fitted);
  if (violation) {
    throw new RookeryError(`Rookery built a message Slack would refuse (${violation.error}): ${violation.messages.slice(0, 3).join("; ")}`, {
      hint: "That is a bug in Rookery, please report it. The request itself is fine and can be followed from the CLI (`rookery status`).",
    });
  }
  return fitted;
}

export async function postMessage(client: webApi.WebClient, where: { channel: string; threadTs?: string }, message: SlackMessage) {
  const { text, blocks } = checkedMessage(message);
  return client.chat.postMessage({ channel: where.channel, ...(where.threadTs ? { thread_ts: where.threadTs } : {}), text, blocks });
}

/** A message in a channel that only `user` sees. */
export async function postEphemeral(client: webApi.WebClient, where: { channel: string; user: string }, message: SlackMessage) {
  const { text, blocks } = checkedMessage(message);
  return client.chat.postEphemeral({ channel: where.channel, user: where.user, text, blocks });
}

export async function updateMessage(client: webApi.WebClient, where: { channel: string; ts: string }, message: SlackMessage) {
  const { text, blocks } = checkedMessage(message);
  return client.chat.update({ channel: where.channel, ts: where.ts, text, blocks });
}

/** An answer through a command's or click's response_url (Slack allows 5 per URL). */
export async function respondWith(respond: RespondFn, message: SlackMessage, responseType: "in_channel" | "ephemeral"): Promise<void> {
  const { text, blocks } = checkedMessage(message);
  await respond({ response_type: responseType, replace_original: false, text, blocks });
}

function checkedView<V>(view: V): V {
  const violation = viewViolation(view);
  if (violation) {
    throw new RookeryError(`Rookery built a view Slack would refuse (${violation.error}): ${violation.messages.slice(0, 3).join("; ")}`, {
      hint: "That is a bug in Rookery, please report it; the same can be done from the CLI or with /migrate.",
    });
  }
  return view;
}

/** Opens a modal for the click or command that gave `triggerId` (valid for 3 s, once). */
export async function openView(client: webApi.WebClient, triggerId: string, view: object): Promise<void> {
  const checked = checkedView(view);
  try {
    await client.views.open({ trigger_id: triggerId, view: checked as never });
  } catch (error) {
    throw new RookeryError(`Slack did not open the dialog (${slackErrorCode(error) ?? (error as Error).message}); nothing changed`, {
      hint: slackErrorHint(error),
      cause: error,
    });
  }
}

/** Publishes a user's Home tab. */
export async function publishHome(client: webApi.WebClient, userId: string, view: object): Promise<void> {
  await client.views.publish({ user_id: userId, view: checkedView(view) as never });
}

/** A picture (a chart) in a channel or thread, through files.uploadV2 (needs the `files:write` scope). */
export async function uploadPicture(
  client: webApi.WebClient,
  where: { channel: string; threadTs?: string },
  picture: { png: Buffer; filename: string; title: string; altText: string },
): Promise<void> {
  const file = { file: picture.png, filename: picture.filename, title: picture.title.slice(0, 250), alt_text: picture.altText.slice(0, 1000) };
  await client.files.uploadV2(where.threadTs ? { ...file, channel_id: where.channel, thread_ts: where.threadTs } : { ...file, channel_id: where.channel });
}
