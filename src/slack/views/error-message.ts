import { describeError, RookeryError } from "../../errors.ts";
import { context, escapeEntities, inertExcerpt, section, type SlackMessage } from "./blocks.ts";

/**
 * An error for the person who caused it: what is wrong, then what to type instead. The message may
 * quote what was typed, so it is made inert; hints are Rookery's own words, their code spans kept.
 */
export function errorMessage(error: unknown): SlackMessage {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof RookeryError ? error.hint : undefined;
  return {
    text: describeError(error),
    blocks: [section(`:warning: ${inertExcerpt(message, 2900)}`), ...(hint ? [context(escapeEntities(hint))] : [])],
  };
}

/** A plain notice for one person ("you cannot approve your own request"). */
export function noticeMessage(text: string, hint?: string): SlackMessage {
  return { text, blocks: [section(inertExcerpt(text, 2900)), ...(hint ? [context(escapeEntities(hint))] : [])] };
}
