import type { Environment } from "../../config/index.ts";
import { getStats, sparkline, type StatsReport } from "../../runner/stats.ts";
import { context, escapeMrkdwn, header, monospaceTable, section, type SlackMessage } from "../views/blocks.ts";
import { hasTargets, readTargets, resolveTargets } from "../../targets/index.ts";
import { statsPerTarget, targetsStatsMessage } from "../views/targets-stats-message.ts";
import { environmentNamed, parseEnvironmentAndTarget } from "./parse.ts";
import { defineSubcommand, type CommandContext } from "./subcommand.ts";
import { describeError } from "../../errors.ts";
import { renderBarChart } from "../charts.ts";
import { uploadPicture } from "../send.ts";
import { slackErrorHint } from "../slack-errors.ts";
import { noticeMessage } from "../views/error-message.ts";

const USAGE = "stats [env] [--target NAME]";
const DAYS = 30;
/** The busiest hours shown; the chart covers the whole window. */
const HOURS_SHOWN = 8;

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

/** The days of the window, oldest first, as the chart's labels ("11-03"). */
function dayLabels(days: number, now: Date): string[] {
  return Array.from({ length: days }, (_, index) => new Date(now.getTime() - (days - 1 - index) * 86_400_000).toISOString().slice(5, 10));
}

/** What the chart shows: applied per day, one series per target across targets. */
interface ChartOf {
  environment: string;
  days: number;
  series: { name: string; values: number[] }[];
  applied: number;
}

/** The same numbers as a picture; where uploads are not allowed the sparkline already said it all. */
async function postChart(chart: ChartOf, context: CommandContext): Promise<void> {
  const { deps, client, invocation, replyPrivately } = context;
  try {
    const png = await renderBarChart({
      title: `Migrations applied per day on ${chart.environment}, last ${chart.days} days`,
      labels: dayLabels(chart.days, deps.now()),
      series: chart.series,
      yTitle: "applied",
      counts: true,
    });
    await uploadPicture(client, { channel: invocation.channelId }, {
      png,
      filename: `rookery-stats-${chart.environment}.png`,
      title: `Migrations on ${chart.environment}, last ${chart.days} days`,
      altText: `Bar chart of migrations applied per day on ${chart.environment}: ${chart.applied} in ${chart.days} days`,
    });
  } catch (error) {
    deps.logger.warn({ err: describeError(error) }, "stats chart not posted; the sparkline stands");
    await replyPrivately(noticeMessage("The chart picture could not be posted; the sparkline above shows the same numbers.", slackErrorHint(error)));
  }
}

/** Across targets (docs/targets.md): one line per target, a fleet added up; the chart has a series per target (at most eight). */
async function statsAcrossTargets(environment: Environment, target: string | undefined, context: CommandContext): Promise<void> {
  const results = await readTargets(resolveTargets(context.deps.config, environment, target), undefined, (each) => getStats(each, { days: DAYS }));
  await context.reply(targetsStatsMessage(environment.name, results, DAYS));
  const perTarget = statsPerTarget(results, DAYS);
  const series = perTarget.slice(0, 8).map((stats) => ({ name: stats.target, values: stats.appliedPerDay }));
  await postChart({ environment: environment.name, days: DAYS, series, applied: perTarget.reduce((sum, stats) => sum + stats.totals.applied, 0) }, context);
}

/** `/migrate stats [env]`: the document's dashboard as a sparkline and the busiest recent hours, then as a chart picture. */
export const statsSubcommand = defineSubcommand({
  name: "stats",
  usage: USAGE,
  summary: "applied, failed and rolled back per hour over 30 days, with a chart",
  parse: (words) => parseEnvironmentAndTarget(words, USAGE),
  async run(args, context) {
    const environment = environmentNamed(context.deps.config, args.environment, USAGE);
    if (hasTargets(environment) || args.target !== undefined) return statsAcrossTargets(environment, args.target, context);
    const report = await getStats(environment, { days: DAYS });
    await context.reply(statsMessage(report));
    await postChart({ environment: report.environment, days: report.days, series: [{ name: "applied", values: report.appliedPerDay }], applied: report.totals.applied }, context);
  },
});
