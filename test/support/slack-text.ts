import type { RecordedCall } from "../../src/shell/fake-slack-api.ts";

/** Every text a payload carries, with how Slack reads it: the top-level `text` and each text object of its blocks. */
export function textsOf(body: Record<string, unknown>): { type: "mrkdwn" | "plain_text"; text: string }[] {
  const found: { type: "mrkdwn" | "plain_text"; text: string }[] = [];
  if (typeof body.text === "string") found.push({ type: "mrkdwn", text: body.text });
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") {
      const object = value as Record<string, unknown>;
      if ((object.type === "mrkdwn" || object.type === "plain_text") && typeof object.text === "string") found.push({ type: object.type, text: object.text });
      else Object.values(object).forEach(walk);
    }
  };
  walk(body.blocks);
  walk(body.view);
  return found;
}

/** The mrkdwn outside code spans and fences: where Slack applies formatting, mentions and links. */
export function outsideCode(text: string): string {
  return text.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
}

/**
 * What a user's hostile text could do in this call, if anything: a mention, a link, a formatting
 * marker outside code. Rookery's own markup (its mentions of users by id, `*Reason:*`, emoji) is not
 * in `hostile`, so only the user's text is looked for.
 */
export function breakouts(call: RecordedCall, markers: string[]): string[] {
  const problems: string[] = [];
  for (const { type, text } of textsOf(call.body)) {
    if (type === "plain_text") continue;
    const outside = outsideCode(text);
    for (const marker of markers) if (outside.includes(marker)) problems.push(`${call.method}: ${JSON.stringify(marker)} in ${JSON.stringify(text.slice(0, 200))}`);
  }
  return problems;
}

const LOOK_ALIKES: Record<string, string> = { "\u2217": "*", "\uFF3F": "_", "\u223C": "~", "\u02CB": "`", "\u203A": ">" };

/** The text as a reader sees it in Slack: entities shown as characters, look-alikes read as what they stand for, code marks gone. */
export function asRead(mrkdwn: string): string {
  return mrkdwn
    .replace(/`/g, "")
    .replace(/[\u2217\uFF3F\u223C\u02CB\u203A]/g, (char) => LOOK_ALIKES[char]!)
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}
