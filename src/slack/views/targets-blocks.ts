import type { TargetResult } from "../../targets/index.ts";
import { escapeMrkdwn, section, splitMrkdwn, type SlackMessage } from "./blocks.ts";

/** Names in one short line, however large the fleet. */
export function names(list: string[], max = 8): string {
  const shown = list.slice(0, max).map(escapeMrkdwn).join(", ");
  return list.length > max ? `${shown} and ${list.length - max} more` : shown;
}

/** A database's error in one short, inert line. */
export function errorLine(error: string | null): string {
  return escapeMrkdwn((error ?? "unknown error").replace(/\s+/g, " ").slice(0, 300));
}

/** The databases of a fleet that could not be read, named; empty when every one was. */
export function unreadableLine(result: TargetResult<unknown>): string[] {
  const failed = result.databases.filter((database) => database.error);
  return failed.length > 0 ? [`   :warning: could not read ${failed.length}: ${names(failed.map((database) => database.database))}`] : [];
}

/**
 * One answer across targets (docs/targets.md): a heading and one line or a few per target, cut into
 * sections within Slack's limits (at most 20, the rest left to the command line named in `more`).
 */
export function targetsMessage(text: string, heading: string, lines: string[], more: string): SlackMessage {
  const pieces = splitMrkdwn(`${heading}\n${lines.join("\n")}`);
  const shown = pieces.slice(0, 20).map(section);
  if (pieces.length > 20) shown.push(section(`… more not shown: \`${escapeMrkdwn(more)}\``));
  return { text, blocks: shown };
}
