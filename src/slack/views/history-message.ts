import type { HistoryEvent } from "../../runner/types.ts";
import { escapeMrkdwn, monospaceTable, section, type SlackMessage } from "./blocks.ts";

export function historyMessage(environment: string, events: HistoryEvent[]): SlackMessage {
  if (events.length === 0) {
    return { text: `${environment}: no history yet`, blocks: [section(`*${escapeMrkdwn(environment)}* — no migration events yet.`)] };
  }
  const rows = events.map((event) => [
    event.at.slice(0, 16).replace("T", " "),
    event.version ?? "-",
    event.event,
    event.actor,
    (event.reason ?? "").slice(0, 40),
  ]);
  return {
    text: `${environment}: last ${events.length} events`,
    blocks: [
      section(`*${escapeMrkdwn(environment)}* — last ${events.length} events, newest first`),
      section(monospaceTable(rows, 2800, `rookery history --env ${environment}`)),
    ],
  };
}
