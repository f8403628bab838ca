import type { types } from "@slack/bolt";

/**
 * Block Kit building blocks. Every text that came from a file, the database or a user goes through
 * `escapeMrkdwn`, so a description with `<!channel>` or a reason with `<@U1>` renders as typed.
 */

export type SlackBlock = types.KnownBlock | types.Block;

/** The message a listener or the notifier sends: `text` is the notification / fallback line. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Section and context texts are limited to 3000 characters by Slack. */
const SECTION_LIMIT = 3000;
/** Long SQL helps nobody in a chat message: enough to recognise the change, the rest is in the file. */
export const SQL_PREVIEW_CHARS = 600;

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function section(markdown: string): SlackBlock {
  return { type: "section", text: { type: "mrkdwn", text: truncate(markdown, SECTION_LIMIT) } };
}

export function header(plain: string, blockId?: string): SlackBlock {
  return { type: "header", ...(blockId ? { block_id: blockId } : {}), text: { type: "plain_text", text: truncate(plain, 150), emoji: true } };
}

export function context(...markdown: string[]): SlackBlock {
  return {
    type: "context",
    elements: markdown.filter(Boolean).map((text) => ({ type: "mrkdwn" as const, text: truncate(text, SECTION_LIMIT) })),
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
    elements: buttons.map((button) => ({
      type: "button" as const,
      text: { type: "plain_text" as const, text: button.text, emoji: true },
      action_id: button.actionId,
      value: button.value,
      ...(button.style ? { style: button.style } : {}),
    })),
  };
}

/** SQL in monospace, cut to `max` characters with a note saying how much was left out. */
export function sqlPreview(sql: string, max = SQL_PREVIEW_CHARS): string {
  const trimmed = sql.trim();
  const shown = trimmed.length <= max ? trimmed : `${trimmed.slice(0, max)}\n… (${trimmed.length - max} more characters in the file)`;
  return `\`\`\`${escapeMrkdwn(shown.replace(/```/g, "ʼʼʼ"))}\`\`\``;
}

/** `20251101_000001` in monospace. */
export function code(text: string): string {
  return `\`${escapeMrkdwn(text.replace(/`/g, "ʼ"))}\``;
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

/** A table as aligned monospace lines (Block Kit has no tables). */
export function monospaceTable(rows: string[][], maxChars = 2800): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  const lines = rows.map((row) => row.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join("  ").trimEnd());
  let text = "";
  for (const [index, line] of lines.entries()) {
    if (text.length + line.length + 1 > maxChars) {
      text += `… ${lines.length - index} more`;
      break;
    }
    text += `${line}\n`;
  }
  return `\`\`\`${escapeMrkdwn(text.trimEnd())}\`\`\``;
}
