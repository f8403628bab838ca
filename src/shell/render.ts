/**
 * Block Kit as terminal text: headers, sections, context lines, and buttons numbered so the user can
 * type `click <n>`. Slack's mrkdwn escapes and mentions are turned back into what Slack would show.
 */

export interface RenderedButton {
  text: string;
  actionId: string;
  value: string;
}

interface BlockLike {
  type?: string;
  text?: { text?: string };
  elements?: { type?: string; text?: string | { text?: string }; action_id?: string; value?: string }[];
}

/** The emoji shortcodes Rookery's messages use, as a terminal shows them. */
const EMOJI: Record<string, string> = {
  white_check_mark: "✅",
  x: "❌",
  warning: "⚠️",
  hourglass_flowing_sand: "⏳",
  gear: "⚙️",
  no_entry: "⛔",
  no_entry_sign: "🚫",
  alarm_clock: "⏰",
  inbox_tray: "📥",
  leftwards_arrow_with_hook: "↩️",
  red_circle: "🔴",
  large_green_circle: "🟢",
  large_orange_circle: "🟠",
  rotating_light: "🚨",
  unlock: "🔓",
  speech_balloon: "💬",
  fast_forward: "⏩",
  heavy_multiplication_x: "✖️",
  snowflake: "❄️",
};

export function mrkdwnToText(text: string): string {
  return text
    .replace(/:([a-z_]+):/g, (code, name: string) => EMOJI[name] ?? code)
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, "$1")
    .replace(/<@([A-Z0-9]+)>/g, "@$1")
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=[\s).,:;]|$)/gm, "$1$2")
    .replace(/(^|[\s(])_([^_\n]+)_(?=[\s).,:;]|$)/gm, "$1$2")
    .replace(/<#([A-Z0-9]+)(\|[^>]*)?>/g, "#$1")
    .replace(/```([\s\S]*?)```/g, (_, code: string) => `\n${code.split("\n").map((line) => `    ${line}`).join("\n")}\n`)
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** The message's lines, and its buttons in order; `numberFrom` is the number the first button gets. */
export function renderBlocks(fallback: string, blocks: unknown, numberFrom: number): { lines: string[]; buttons: RenderedButton[] } {
  const lines: string[] = [];
  const buttons: RenderedButton[] = [];
  const list = Array.isArray(blocks) ? (blocks as BlockLike[]) : [];
  if (list.length === 0) return { lines: mrkdwnToText(fallback).split("\n"), buttons };
  for (const block of list) {
    switch (block.type) {
      case "header":
        lines.push(`== ${block.text?.text ?? ""} ==`);
        break;
      case "section":
        lines.push(...mrkdwnToText(block.text?.text ?? "").split("\n"));
        break;
      case "context":
        lines.push(`  ${(block.elements ?? []).map((element) => mrkdwnToText(typeof element.text === "string" ? element.text : "")).join(" · ")}`);
        break;
      case "divider":
        break;
      case "actions": {
        const labels = (block.elements ?? []).map((element) => {
          const label = typeof element.text === "object" ? (element.text?.text ?? "") : "";
          buttons.push({ text: label, actionId: element.action_id ?? "", value: element.value ?? "" });
          return `[${numberFrom + buttons.length - 1}] ${label}`;
        });
        lines.push(`  ${labels.join("   ")}`);
        break;
      }
      default:
        break;
    }
  }
  return { lines, buttons };
}
