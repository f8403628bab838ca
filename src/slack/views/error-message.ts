import { describeError, RookeryError } from "../../errors.ts";
import { context, escapeMrkdwn, section, type SlackMessage } from "./blocks.ts";

/** An error for the person who caused it: what is wrong, then what to type instead. */
export function errorMessage(error: unknown): SlackMessage {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof RookeryError ? error.hint : undefined;
  return {
    text: describeError(error),
    blocks: [section(`:warning: ${escapeMrkdwn(message)}`), ...(hint ? [context(escapeMrkdwn(hint))] : [])],
  };
}

/** A plain notice for one person ("you cannot approve your own request"). */
export function noticeMessage(text: string, hint?: string): SlackMessage {
  return { text, blocks: [section(escapeMrkdwn(text)), ...(hint ? [context(escapeMrkdwn(hint))] : [])] };
}
