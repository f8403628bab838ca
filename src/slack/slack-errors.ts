/**
 * What to do about each error Slack answers, in words for the person who will read it. The Web API
 * client throws `An API error occurred: <code>` with `data.error` set; anything else is a network fault.
 */

export function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  if (typeof data?.error === "string") return data.error;
  const match = /An API error occurred: ([a-z_]+)/.exec(error instanceof Error ? error.message : "");
  return match?.[1];
}

const HINTS: Record<string, string> = {
  not_in_channel: "Invite the bot to the channel (`/invite @rookery`) and ask again.",
  channel_not_found: "The channel id is wrong or the bot cannot see it: check `alertChannel` in the config, or invite the bot.",
  is_archived: "The channel is archived: unarchive it, or point Rookery at another channel.",
  invalid_blocks: "Slack refused the message's layout: that is a bug in Rookery, please report it. The request itself is fine and can be followed and run from the CLI (`rookery status`, `rookery apply`).",
  msg_too_long: "Slack refused the message as too long: that is a bug in Rookery, please report it. The request can be followed from the CLI (`rookery status`).",
  no_text: "Slack refused an empty message: that is a bug in Rookery, please report it.",
  ratelimited: "Slack is rate limiting the bot; Rookery waits and retries, nothing is lost.",
  not_authed: "SLACK_BOT_TOKEN is missing or wrong: copy the Bot User OAuth Token (xoxb-…) of the installed app.",
  invalid_auth: "SLACK_BOT_TOKEN is missing or wrong: copy the Bot User OAuth Token (xoxb-…) of the installed app.",
  token_revoked: "The app's token was revoked: reinstall the app and update SLACK_BOT_TOKEN.",
  account_inactive: "The app's token was revoked: reinstall the app and update SLACK_BOT_TOKEN.",
  missing_scope: "The app lacks a scope it needs: update it from manifest.yml and reinstall.",
  message_not_found: "The message was deleted; its request goes on and `rookery status` shows it.",
  expired_trigger_id: "Slack allows 3 s to open a dialog: click again.",
  cant_update_message: "The bot can only edit its own messages; `rookery status` shows the request.",
};

/**
 * True for what the Web API client throws (an answer of Slack's, a network fault on the way to it, a 429): its
 * errors carry a `slack_webapi_…` code. Not for what failed before anything was sent, e.g. the control database.
 */
export function isSlackError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code.startsWith("slack_");
}

/** The hint for a Slack error, or one for a network fault when Slack could not be reached. */
export function slackErrorHint(error: unknown): string {
  const code = slackErrorCode(error);
  if (code) return HINTS[code] ?? `Slack answered \`${code}\`; the request itself is unaffected and \`rookery status\` shows it.`;
  return "Slack could not be reached; the request itself is unaffected and `rookery status` shows it.";
}
