import { z } from "zod";
import { getStats, sparkline, type StatsReport } from "../../runner/stats.ts";
import { context, escapeMrkdwn, header, monospaceTable, section, type SlackMessage } from "../views/blocks.ts";
import { environmentArg, environmentNamed, noExtraWords, parseArguments } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const USAGE = "stats [env]";
/** The busiest hours shown; the chart covers the whole window. */
const HOURS_SHOWN = 8;

const StatsArgs = z.object({ environment: environmentArg.optional() });

function statsMessage(report: StatsReport): SlackMessage {
  const { totals } = report;
  const rows = [
    ["hour (UTC)", "applied", "failed", "rolled back", "h between"],
    ...report.hours
      .slice(0, HOURS_SHOWN)
      .map((hour) => [
        hour.hour.slice(0, 13).replace("T", " "),
        String(hour.applied),
        String(hour.failed),
        String(hour.rolledBack),
        hour.avgHoursBetween === null ? "-" : hour.avgHoursBetween.toFixed(1),
      ]),
  ];
  const summary = `${totals.applied} applied, ${totals.failed} failed, ${totals.rolledBack} rolled back`;
  return {
    text: `${report.environment}, last ${report.days} days: ${summary}`,
    blocks: [
      header(`Migrations on ${report.environment}, last ${report.days} days`),
      section(`*${summary}*\nApplied per day: \`${sparkline(report.appliedPerDay)}\``),
      ...(report.hours.length > 0 ? [section(monospaceTable(rows))] : [context("No migration activity in this window.")]),
      context(`Oldest day on the left. \`rookery stats --env ${escapeMrkdwn(report.environment)}\` prints the same.`),
    ],
  };
}

/** `/migrate stats [env]`: the document's dashboard as a sparkline and the busiest recent hours. */
export const statsSubcommand = defineSubcommand({
  name: "stats",
  usage: USAGE,
  summary: "applied, failed and rolled back per hour over 30 days, with a chart",
  parse(words) {
    noExtraWords(words, 1, USAGE);
    return parseArguments(StatsArgs, { environment: words[0] }, USAGE);
  },
  async run(args, { deps, reply }) {
    const environment = environmentNamed(deps.config, args.environment, USAGE);
    await reply(statsMessage(await getStats(environment, { days: 30 })));
  },
});
