import type { Environment } from "../../config/index.ts";
import type { HealthAlert } from "../../queue/notifier.ts";
import { age, code, context, escapeMrkdwn, section, type SlackMessage } from "./blocks.ts";

function icon(alert: HealthAlert): string {
  if (alert.state === "resolved") return ":large_green_circle:";
  return alert.level === "CRITICAL" ? ":red_circle:" : ":large_orange_circle:";
}

export function alertMessage(environment: Environment, alert: HealthAlert, now: Date = new Date()): SlackMessage {
  const state = alert.state === "resolved" ? "RESOLVED" : alert.state === "repeat" ? `${alert.level} (still unresolved)` : alert.level;
  const headline = `${icon(alert)} *${state}* on *${escapeMrkdwn(environment.name)}*${alert.version ? ` — ${code(alert.version)}` : ""}`;
  return {
    text: `${state} ${environment.name}${alert.version ? ` ${alert.version}` : ""}: ${alert.message}`,
    blocks: [
      section(`${headline}\n${escapeMrkdwn(alert.message)}`),
      context(
        [
          `age ${age(alert.since, now)}`,
          alert.state !== "resolved" && alert.suggestedCommand ? `next: ${code(alert.suggestedCommand)}` : "",
        ]
          .filter(Boolean)
          .join(" · "),
      ),
    ],
  };
}
