import type { webApi } from "@slack/bolt";
import * as z from "zod";
import type { Catalog } from "../../catalog/index.ts";
import type { Environment } from "../../config/index.ts";
import { describeError, RookeryError } from "../../errors.ts";
import { mayApprove, mayRequest } from "../../policy/approval.ts";
import { checkDeployPolicy, describeRefusal } from "../../policy/deploy.ts";
import { rehearsalLines, rehearsalOk, rehearsalRefusal, rehearse, type RehearsalReport } from "../../runner/rehearse.ts";
import type { SlackDeps } from "../deps.ts";
import { renderBarChart } from "../charts.ts";
import { postMessage, updateMessage, uploadPicture } from "../send.ts";
import { slackGroupResolver } from "../user-groups.ts";
import { code, codeBlock, context, escapeMrkdwn, inertExcerpt, section, sections, truncate, userMention, type SlackMessage } from "../views/blocks.ts";
import { noticeMessage } from "../views/error-message.ts";
import { SLACK_LIMITS } from "../views/limits.ts";
import { environmentOf, hasTargets, prepareTargets, resolveTargets, targetOfVersions } from "../../targets/index.ts";
import { environmentArg, environmentNamed, noExtraWords, parseArguments, takeTarget, versionArg } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const USAGE = "rehearse <version> <env> [--target NAME]";
const CLIENTS = 4;
const BASELINE_SECONDS = 5;

const RehearseArgs = z.object({ version: versionArg, environment: environmentArg });

function startedMessage(version: string, environment: string, userId: string): SlackMessage {
  return {
    text: `Rehearsing ${version} on ${environment} under load`,
    blocks: [
      section(`:hourglass_flowing_sand: Rehearsing ${code(version)} on *${escapeMrkdwn(environment)}* under load, asked by ${userMention(userId)}`),
      context(`${CLIENTS} probe clients: ${BASELINE_SECONDS} s baseline, then the apply under load, then the rollback. This message shows the report when done.`),
    ],
  };
}

/**
 * A long error in the report is cut to its start (each line, then the whole), so the report, its last line
 * (rolled back or not) included, stays within SLACK_LIMITS.messageBlocksText and still reaches the message.
 */
const MAX_LINE_CHARS = 500;
const MAX_REPORT_MRKDWN = SLACK_LIMITS.messageBlocksText - 3000;

function reportMessage(report: RehearsalReport, where: RehearsalPlace): SlackMessage {
  const ok = rehearsalOk(report);
  const [title, ...lines] = rehearsalLines(report);
  return {
    text: `Rehearsal of ${report.version} on ${report.environment}: ${ok ? "done" : "needs attention"}`,
    blocks: [
      section(`${ok ? ":white_check_mark:" : ":x:"} ${escapeMrkdwn(title ?? "")}`),
      ...(where.note ? [context(escapeMrkdwn(where.note))] : []),
      ...sections(truncate(codeBlock(lines.map((line) => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}… (${line.length - MAX_LINE_CHARS} more characters)` : line)).join("\n")), MAX_REPORT_MRKDWN)),
    ],
  };
}

/** Where a rehearsal runs: the environment's database, or across targets the one holding the version. */
interface RehearsalPlace {
  environment: Environment;
  catalog: Catalog;
  /** Across targets: which target and database, in words. */
  note?: string;
}

/**
 * Across targets (docs/targets.md) the version is rehearsed on the target whose folder holds it (--target
 * narrows); on a fleet, on its first database (the canary): its databases share one folder.
 */
async function placeOf(deps: SlackDeps, environment: Environment, version: string, only: string | undefined): Promise<RehearsalPlace> {
  if (!hasTargets(environment) && only === undefined) return { environment, catalog: await deps.loadCatalog() };
  const { target } = targetOfVersions(environment.name, resolveTargets(deps.config, environment, only), [version], `\`/migrate plan ${environment.name}\``);
  const [prepared] = await prepareTargets([target]);
  const database = prepared!.databases[0];
  if (!database) throw new RookeryError(`fleet ${target.name} of ${environment.name} lists no database to rehearse on`, { hint: "Check the fleet's databases or registry." });
  const note = target.kind === "fleet" ? `on ${target.name}/${database.name}, the fleet's first database of ${prepared!.databases.length} (they share one folder)` : `on target ${target.name}`;
  return { environment: environmentOf(prepared!, database), catalog: prepared!.catalog, note };
}

function failedMessage(version: string, environment: string, error: unknown): SlackMessage {
  return {
    text: `Rehearsal of ${version} on ${environment} failed: ${describeError(error)}`,
    blocks: [section(`:x: Rehearsal of ${code(version)} on *${escapeMrkdwn(environment)}* failed: ${inertExcerpt(describeError(error), 2500)}`)],
  };
}

/** Probe latency before and during the apply, as a picture in the report's thread; the text report stands without it. */
async function postLatencyChart(deps: SlackDeps, client: webApi.WebClient, where: { channel: string; ts: string }, report: RehearsalReport) {
  try {
    const png = await renderBarChart({
      title: `Probe latency, rehearsal of ${report.version} on ${report.environment}`,
      labels: ["p50", "p95", "p99", "max"],
      series: [
        { name: "baseline", values: [report.baseline.p50Ms, report.baseline.p95Ms, report.baseline.p99Ms, report.baseline.maxMs] },
        { name: "during the apply", values: [report.during.p50Ms, report.during.p95Ms, report.during.p99Ms, report.during.maxMs] },
        ...(report.complete ? [{ name: "during the complete", values: [report.complete.during.p50Ms, report.complete.during.p95Ms, report.complete.during.p99Ms, report.complete.during.maxMs] }] : []),
      ],
      yTitle: "ms",
    });
    await uploadPicture(client, { channel: where.channel, threadTs: where.ts }, {
      png,
      filename: `rookery-rehearsal-${report.version}.png`,
      title: `Rehearsal of ${report.version} on ${report.environment}: probe latency`,
      altText: `Probe latency in ms, baseline vs during the apply: p95 ${report.baseline.p95Ms} vs ${report.during.p95Ms}`,
    });
  } catch (error) {
    deps.logger.warn({ err: describeError(error) }, "rehearsal chart not posted; the text report stands");
  }
}

/** A rehearsal applies for real without a request: where changes need approval, only approvers may rehearse. */
async function mayRehearse(environment: Environment, userId: string, client: webApi.WebClient): Promise<boolean> {
  const resolveGroup = slackGroupResolver(client);
  return environment.approvals > 0 ? mayApprove(environment, userId, resolveGroup) : mayRequest(environment, userId, resolveGroup);
}

/** Freezes and deployment windows hold for a rehearsal as for any apply. */
async function refuseOutsidePolicy(deps: SlackDeps, environment: Environment, catalog: Catalog, version: string): Promise<void> {
  const migration = catalog.byVersion.get(version);
  const decision = await checkDeployPolicy({
    config: deps.config,
    environment,
    catalog,
    migrations: migration ? [{ version, checksum: migration.checksum }] : [],
    kind: "apply",
    now: deps.now(),
  });
  if (!decision.allowed) throw new RookeryError(describeRefusal(environment.name, decision), { hint: "Nothing was run." });
}

/**
 * `/migrate rehearse 20251101_000001 staging`: answered at once with a message that is updated in
 * place with the report (a rehearsal takes longer than a response_url should wait).
 */
export const rehearseSubcommand = defineSubcommand({
  name: "rehearse",
  usage: USAGE,
  summary: "apply a migration under load on a non-production environment, report the impact, roll it back",
  parse(all) {
    const { words, target } = takeTarget(all, USAGE);
    noExtraWords(words, 2, USAGE);
    return { ...parseArguments(RehearseArgs, { version: words[0], environment: words[1] }, USAGE), target };
  },
  async run(args, { invocation, deps, client, replyPrivately }) {
    const environment = environmentNamed(deps.config, args.environment, USAGE);
    const refusal = rehearsalRefusal(environment);
    if (refusal) throw new RookeryError(refusal, { hint: "Rehearse on staging (or another non-production environment)." });
    if (!(await mayRehearse(environment, invocation.userId, client))) {
      const who = environment.approvals > 0 ? "approvers" : "requesters";
      await replyPrivately(noticeMessage(`Only ${environment.name}'s ${who} may rehearse there.`, "Ask one of them to rehearse it."));
      return;
    }
    const place = await placeOf(deps, environment, args.version, args.target);
    await refuseOutsidePolicy(deps, place.environment, place.catalog, args.version);
    const posted = await postMessage(client, { channel: invocation.channelId }, startedMessage(args.version, environment.name, invocation.userId));
    let outcome: SlackMessage;
    let report: RehearsalReport | undefined;
    try {
      report = await rehearse(place.environment, place.catalog, args.version, {
        clients: CLIENTS,
        baselineSeconds: BASELINE_SECONDS,
        actor: `slack:${invocation.userId}`,
      });
      outcome = reportMessage(report, place);
    } catch (error) {
      outcome = failedMessage(args.version, environment.name, error);
    }
    const where = { channel: posted.channel ?? invocation.channelId, ts: posted.ts! };
    await updateMessage(client, where, outcome);
    if (report) await postLatencyChart(deps, client, where, report);
  },
});
