import type { Environment } from "../../config/index.ts";
import type { HealthAlert } from "../../queue/notifier.ts";
import { age, andMore, code, context, escapeMrkdwn, inertExcerpt, MAX_LISTED, section, type SlackMessage } from "./blocks.ts";

function icon(alert: HealthAlert): string {
  if (alert.state === "resolved") return ":large_green_circle:";
  return alert.level === "CRITICAL" ? ":red_circle:" : ":large_orange_circle:";
}

export function alertMessage(environment: Environment, alert: HealthAlert, now: Date = new Date()): SlackMessage {
  const state = alert.state === "resolved" ? "RESOLVED" : alert.state === "repeat" ? `${alert.level} (still unresolved)` : alert.level;
  const headline = `${icon(alert)} *${state}* on *${escapeMrkdwn(environment.name)}*${alert.version ? ` — ${code(alert.version)}` : ""}`;
  return {
    text: `${state} ${environment.name}${alert.version ? ` ${alert.version}` : ""}: ${alert.message.slice(0, 300)}`,
    blocks: [
      section(`${headline}\n${inertExcerpt(alert.message, 2500)}`),
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

/** One line per alert in a combined message: state, version, what is wrong, age, what to type. */
function alertLine(alert: HealthAlert, now: Date): string {
  const state = alert.state === "resolved" ? ":large_green_circle: resolved" : `${icon(alert)} ${alert.level}`;
  const next = alert.state !== "resolved" && alert.suggestedCommand ? ` · next: ${code(alert.suggestedCommand)}` : "";
  return `${state} ${alert.version ? `${code(alert.version)} ` : ""}${inertExcerpt(alert.message, 200)} · age ${age(alert.since, now)}${next}`;
}

/** Alerts found together, as one message: counts, the first few, and where to see them all. */
export function alertsMessage(environment: Environment, alerts: HealthAlert[], now: Date = new Date()): SlackMessage {
  const critical = alerts.filter((alert) => alert.state !== "resolved" && alert.level === "CRITICAL").length;
  const resolved = alerts.filter((alert) => alert.state === "resolved").length;
  const warning = alerts.length - critical - resolved;
  const counts = [critical ? `${critical} CRITICAL` : "", warning ? `${warning} WARNING` : "", resolved ? `${resolved} resolved` : ""].filter(Boolean).join(", ");
  const shown = alerts.slice(0, MAX_LISTED);
  const where = `/migrate health ${environment.name}`;
  const versions = [...new Set(alerts.map((alert) => alert.version).filter(Boolean))];
  return {
    text: `${environment.name}: ${alerts.length} health alerts (${counts})${versions.length ? `: ${versions.slice(0, 5).join(", ")}${versions.length > 5 ? ", …" : ""}` : ""}`,
    blocks: [
      section(`${critical ? ":red_circle:" : warning ? ":large_orange_circle:" : ":large_green_circle:"} *${alerts.length} health alerts* on *${escapeMrkdwn(environment.name)}*: ${counts}`),
      section(shown.map((alert) => alertLine(alert, now)).join("\n")),
      context(andMore(alerts.length, shown.length, where) || `${code(where)} shows them all`),
    ],
  };
}
