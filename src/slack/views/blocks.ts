import type { types } from "@slack/bolt";
import { SLACK_LIMITS } from "./limits.ts";

/**
 * Block Kit building blocks, and the one place Slack's limits are met (see limits.ts for the limits
 * themselves). Every text that came from a user, a migration file or the database goes through
 * `escapeMrkdwn` (or `code` / `codeBlock`), so it can neither mention, link nor change formatting.
 */

export type SlackBlock = types.KnownBlock | types.Block;

/**
 * The message a listener or the notifier sends. `text` is the notification / fallback line, written
 * as plain words (no mrkdwn): on the way out it is made inert and cut to Slack's limit (`fitMessage`).
 */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Long SQL helps nobody in a chat message: enough to recognise the change, the rest is in the file. */
export const SQL_PREVIEW_CHARS = 600;

/** `&`, `<` and `>` as Slack wants them: for Rookery's own mrkdwn (hints with code spans). */
export function escapeEntities(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Look-alikes that Slack's mrkdwn does not parse; the text reads the same. */
const INERT: Record<string, string> = { "*": "\u2217", _: "\uFF3F", "~": "\u223C", "`": "\u02CB" };
const isWordChar = (char: string | undefined) => char !== undefined && /[\p{L}\p{N}]/u.test(char);
/** Anything Slack would make a link of: `scheme://…`, `mailto:…`, `www.…`. */
const LINK_LIKE = /(?:\b[a-z][a-z0-9+.-]*:\/\/|\bmailto:|\bwww\.)[^\s`]+/gi;

function neutraliseFormatting(text: string): string {
  let out = "";
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    const lookAlike = INERT[char];
    // `*bold*`, `_it_`, `~strike~` need a marker at a word boundary; `add_user_id` keeps its underscores.
    const couldFormat = char === "`" || !isWordChar(text[index - 1]) || !isWordChar(text[index + 1]);
    out += lookAlike && couldFormat ? lookAlike : char;
  }
  // A line starting with `>` is a quote.
  return out.replace(/^(\s*)>/gm, "$1\u203A");
}

/**
 * User or file text made inert in mrkdwn (blocks and the top-level `text` alike): `& < >` escaped so no
 * `<!channel>`, `<@U1>` or `<url|label>` survives, formatting markers that could apply replaced by
 * look-alikes, and anything Slack would link shown as code instead.
 */
export function escapeMrkdwn(text: string): string {
  let out = "";
  let last = 0;
  for (const match of text.matchAll(LINK_LIKE)) {
    out += escapeEntities(neutraliseFormatting(text.slice(last, match.index)));
    out += code(match[0]);
    last = match.index + match[0].length;
  }
  return out + escapeEntities(neutraliseFormatting(text.slice(last)));
}

/** User or file text made inert and cut to `max` characters of mrkdwn (never mid-entity). */
export function inertExcerpt(text: string, max: number): string {
  return truncate(escapeMrkdwn(text), max);
}

/** Inline monospace that cannot be broken out of: no backtick inside, one line. */
export function code(text: string): string {
  return `\`${escapeEntities(text.replace(/`/g, "\u02CB").replace(/\s*\n\s*/g, " "))}\``;
}

/** A monospace block that cannot be broken out of. */
export function codeBlock(text: string): string {
  return `\`\`\`${escapeEntities(text.replace(/`/g, "\u02CB"))}\`\`\``;
}

/** Where `text` may be cut without splitting an entity (`&gt;`) or one of our `<…>` tokens. */
function safeCut(text: string, at: number): number {
  let cut = Math.min(at, text.length);
  const amp = text.lastIndexOf("&", cut - 1);
  if (amp !== -1 && amp > cut - 6 && !text.slice(amp, cut).includes(";")) cut = amp;
  const open = text.lastIndexOf("<", cut - 1);
  if (open !== -1 && text.indexOf(">", open) >= cut) cut = open;
  // Never between the two halves of a surrogate pair.
  if (cut > 0 && /[\uD800-\uDBFF]/.test(text[cut - 1]!)) cut -= 1;
  return cut;
}

/** Prefers a line break, then a space, in the last fifth of the allowed length. */
function niceCut(text: string, max: number): number {
  const floor = Math.floor(max * 0.8);
  const newline = text.lastIndexOf("\n", max);
  if (newline >= floor) return newline;
  const space = text.lastIndexOf(" ", max);
  if (space >= floor) return space;
  return safeCut(text, max);
}

/** Fences and code spans left open by a cut are closed, so formatting does not leak. */
function closeOpenCode(text: string): { text: string; reopen: string } {
  const fences = text.split("```").length - 1;
  if (fences % 2 === 1) return { text: `${text}\`\`\``, reopen: "```" };
  const ticks = text.replace(/```/g, "").split("`").length - 1;
  if (ticks % 2 === 1) return { text: `${text}\``, reopen: "`" };
  return { text, reopen: "" };
}

/** Cuts mrkdwn to `max` characters with an ellipsis, never inside an entity, a `<…>` token or a code span. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = niceCut(text, max - 5);
  return `${closeOpenCode(text.slice(0, cut).trimEnd()).text}…`;
}

/** Splits mrkdwn into pieces of at most `max` characters, on line breaks where it can: nothing is lost. */
export function splitMrkdwn(text: string, max: number = SLACK_LIMITS.sectionText): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const cut = Math.max(1, niceCut(rest, max - 4));
    const closed = closeOpenCode(rest.slice(0, cut));
    pieces.push(closed.text);
    rest = `${closed.reopen}${rest.slice(cut).replace(/^\n/, "")}`;
  }
  if (rest.trim() !== "") pieces.push(rest);
  return pieces;
}

export function section(markdown: string): SlackBlock {
  return { type: "section", text: { type: "mrkdwn", text: truncate(markdown || " ", SLACK_LIMITS.sectionText) } };
}

/** As many sections as `markdown` needs: for text that must be shown whole (a long reason). */
export function sections(markdown: string): SlackBlock[] {
  return splitMrkdwn(markdown).map((piece) => ({ type: "section", text: { type: "mrkdwn", text: piece } }));
}

/** A section whose text is shown exactly as given, no mrkdwn at all. */
export function plainSection(text: string): SlackBlock {
  return { type: "section", text: { type: "plain_text", text: plainCut(text || " ", SLACK_LIMITS.sectionText), emoji: false } };
}

function plainCut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, safeCut(text, max - 1))}…`;
}

export function header(plain: string, blockId?: string): SlackBlock {
  return {
    type: "header",
    ...(blockId ? { block_id: blockId } : {}),
    text: { type: "plain_text", text: plainCut(plain || " ", SLACK_LIMITS.headerText), emoji: true },
  };
}

export function context(...markdown: string[]): SlackBlock {
  const texts = markdown.filter(Boolean).slice(0, SLACK_LIMITS.contextElements);
  return {
    type: "context",
    elements: (texts.length > 0 ? texts : [" "]).map((text) => ({ type: "mrkdwn" as const, text: truncate(text, SLACK_LIMITS.sectionText) })),
  };
}

export function divider(): SlackBlock {
  return { type: "divider" };
}

export interface ButtonSpec {
  text: string;
  actionId: string;
  value: string;
  style?: "primary" | "danger";
}

export function actions(blockId: string, buttons: ButtonSpec[]): SlackBlock {
  return {
    type: "actions",
    block_id: blockId,
    elements: buttons.slice(0, SLACK_LIMITS.actionsElements).map((button) => ({
      type: "button" as const,
      text: { type: "plain_text" as const, text: plainCut(button.text, SLACK_LIMITS.buttonText), emoji: true },
      action_id: button.actionId,
      value: button.value.slice(0, SLACK_LIMITS.buttonValue),
      ...(button.style ? { style: button.style } : {}),
    })),
  };
}

/** SQL in monospace, cut to `max` characters with a note saying how much was left out. */
export function sqlPreview(sql: string, max = SQL_PREVIEW_CHARS): string {
  const trimmed = sql.trim();
  const shown = trimmed.length <= max ? trimmed : `${trimmed.slice(0, max)}\n… (${trimmed.length - max} more characters in the file)`;
  return codeBlock(shown);
}

export function userMention(userId: string): string {
  return /^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

export function shortChecksum(checksum: string): string {
  return checksum.slice(0, 12);
}

/** "3 h ago", "2 d ago": ages people read at a glance. */
export function age(since: Date, now: Date = new Date()): string {
  const minutes = Math.max(0, Math.round((now.getTime() - since.getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} d`;
}

/**
 * A table as aligned monospace lines (Block Kit has no tables), at most `maxChars` once escaped; the
 * rows left out are counted with `more` saying where to see them all.
 */
export function monospaceTable(rows: string[][], maxChars = 2800, more = ""): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  const lines = rows.map((row) => row.map((cell, index) => cell.replace(/[`\n]/g, " ").padEnd(widths[index] ?? 0)).join("  ").trimEnd());
  const budget = maxChars - 8 - more.length - 20;
  let text = "";
  for (const [index, line] of lines.entries()) {
    if (escapeEntities(text).length + escapeEntities(line).length + 1 > budget) {
      text += `… ${lines.length - index} more${more ? ` (${more})` : ""}`;
      break;
    }
    text += `${line}\n`;
  }
  return codeBlock(text.trimEnd());
}

/** The top-level `text`: plain words made inert, on one line, within Slack's advice, cut between words. */
export function summary(text: string): string {
  return truncate(escapeMrkdwn(text.replace(/\s*\n\s*/g, " ").trim()), SLACK_LIMITS.messageText);
}

function isKept(block: SlackBlock): boolean {
  return block.type === "actions" || block.type === "header";
}

/** Views list at most this many items (migrations, problems, applied versions) and count the rest. */
export const MAX_LISTED = 10;

/** "… and 290 more: `rookery plan --env production`" for a list cut to MAX_LISTED. */
export function andMore(total: number, shown: number, where: string): string {
  return total > shown ? `… and ${total - shown} more: ${code(where)}` : "";
}

/**
 * The last guard before a message leaves: the top-level text within its limit, and at most 50 blocks.
 * Views summarise long lists themselves; if one still has too many blocks, middle blocks give way to a
 * line saying how many were left out, and the header and buttons are always kept.
 */
export function fitMessage(message: SlackMessage, more = "`rookery status` shows everything"): SlackMessage {
  const max = SLACK_LIMITS.messageBlocks;
  const text = summary(message.text || " ");
  if (message.blocks.length <= max) return { text, blocks: message.blocks };
  const kept = message.blocks.filter(isKept);
  const others = message.blocks.filter((block) => !isKept(block));
  const room = max - kept.length - 1;
  const shown = new Set(others.slice(0, room));
  const note = context(`… ${others.length - room} more blocks not shown: ${more}`);
  const blocks: SlackBlock[] = [];
  let noted = false;
  for (const block of message.blocks) {
    if (isKept(block) || shown.has(block)) blocks.push(block);
    else if (!noted) {
      blocks.push(note);
      noted = true;
    }
  }
  return { text, blocks };
}
