import { webApi } from "@slack/bolt";
import { readCatalog } from "../catalog/index.ts";
import type { Config, Environment } from "../config/index.ts";
import { createPool } from "../db/index.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { HealthAlert, JobOutcome, Notifier, RolledBackSeveral } from "../queue/index.ts";
import { describeWatchNews } from "../queue/notifier.ts";
import { audit, getRequest, type ChangeRequest } from "../requests/index.ts";
import type { ApplyReport, ProgressEvent, RollbackReport, StepName } from "../runner/types.ts";
import type { CompleteReport } from "../expand/index.ts";
import type { SlackDeps } from "./deps.ts";
import { channelPacer, Coalescer } from "./pacing.ts";
import { refreshRequestMessage } from "./request-updates.ts";
import { postMessage } from "./send.ts";
import { isSlackError, slackErrorHint } from "./slack-errors.ts";
import { alertMessage, alertsMessage } from "./views/alert-message.ts";
import { drillReportMessage } from "./views/drill-report-message.ts";
import { SLACK_LIMITS } from "./views/limits.ts";
import { andMore, code, context, escapeMrkdwn, inertExcerpt, MAX_LISTED, section, sections, truncate, type SlackMessage } from "./views/blocks.ts";

type Sources = Pick<SlackDeps, "config" | "control" | "loadCatalog" | "now">;

/** chat.update of one request's message: at most one this often (Slack's Tier 3 allows ~50 a minute). */
export const UPDATE_EVERY_MS = 2000;
/** The phases that get a reply in the request's thread; applying each migration only updates the message. */
const THREAD_PHASES: readonly StepName[] = ["lock", "backup", "rollback", "verify"];

function line(text: string): SlackMessage {
  return { text, blocks: [section(escapeMrkdwn(text))] };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

type Report = ApplyReport | RollbackReport | RolledBackSeveral | CompleteReport;

function resultLines(report: Report): string[] {
  // Across targets (docs/targets.md): what ran where, as the run's summary.
  if ("summary" in report && typeof report.summary === "string") return [inertExcerpt(report.summary, 2500)];
  if ("versionSchema" in report) return [`:white_check_mark: ${code(report.version)} completed in ${seconds(report.durationMs)}: the old shape is gone; the new release keeps ${code(report.versionSchema)}`];
  if ("applied" in report) {
    const applied = report.applied.slice(0, MAX_LISTED).map(
      (migration) =>
        migration.byEarlierAttempt ? `:white_check_mark: ${code(migration.version)} applied by an earlier attempt of this request` :
        `:white_check_mark: ${code(migration.version)} applied in ${seconds(migration.durationMs)}${migration.lockRetries > 0 ? ` after ${migration.lockRetries} lock retries` : ""}${migration.outsideTransaction ? " (outside a transaction)" : ""}`,
    );
    const skipped = report.skipped.slice(0, MAX_LISTED).map((skip) => `:fast_forward: ${code(skip.version)} skipped: ${inertExcerpt(skip.reason, 300)}`);
    const history = `rookery history --env ${report.environment}`;
    return [
      ...(report.applied.length > 1 ? [`*${report.applied.length} applied* in ${seconds(report.applied.reduce((sum, m) => sum + m.durationMs, 0))}`] : []),
      ...applied,
      andMore(report.applied.length, applied.length, history),
      ...skipped,
      andMore(report.skipped.length, skipped.length, history),
    ].filter(Boolean);
  }
  if ("rolledBack" in report) {
    // `rollback --to`: every version, newest first, as an apply lists what it applied.
    const rolledBack = report.rolledBack.slice(0, MAX_LISTED).map((step) => `:leftwards_arrow_with_hook: ${code(step.version)} rolled back in ${seconds(step.durationMs)}`);
    return [
      `*${report.rolledBack.length} rolled back*, newest first, in ${seconds(report.rolledBack.reduce((sum, step) => sum + step.durationMs, 0))} — reason: ${inertExcerpt(report.reason, 1500)}`,
      ...rolledBack,
      andMore(report.rolledBack.length, rolledBack.length, `rookery history --env ${report.environment}`),
    ].filter(Boolean);
  }
  return [`:leftwards_arrow_with_hook: ${code(report.version)} rolled back in ${seconds(report.durationMs)} — reason: ${inertExcerpt(report.reason, 1500)}`];
}

function appliedCount(report: Report | undefined): string {
  if (!report) return "";
  if ("versionSchema" in report) return `${report.version} completed`;
  // Across targets (docs/targets.md) the summary says what ran where; an apply's or a rollback's alike.
  if ("summary" in report) return "every database done";
  if ("rolledBack" in report) return `${report.rolledBack.length} rolled back`;
  return "applied" in report ? `${report.applied.length} applied` : `${report.version} rolled back`;
}

/** An error past this, once escaped, is cut: the thread's result must stay within SLACK_LIMITS.messageBlocksText. */
const MAX_ERROR_MRKDWN = SLACK_LIMITS.messageBlocksText - 4000;

/** The error as the thread shows it: whole when it fits, else its start and where to read the rest. */
function errorBlocks(error: string, environment: string): SlackMessage["blocks"] {
  const escaped = escapeMrkdwn(error);
  if (escaped.length <= MAX_ERROR_MRKDWN) return sections(`:x: ${escaped}`);
  return [
    ...sections(`:x: ${truncate(escaped, MAX_ERROR_MRKDWN)}`),
    context(`The error is ${error.length} characters long, more than a Slack message holds: ${code(`rookery history --env ${environment} --json`)} has a failed migration's error whole.`),
  ];
}

/** The result in the thread: what ran (summarised past MAX_LISTED), and the error (whole when it fits in a message). */
function outcomeMessage(request: ChangeRequest, outcome: JobOutcome): SlackMessage {
  if (outcome.status === "succeeded") {
    const lines = resultLines(outcome.report);
    return { text: `Done: ${appliedCount(outcome.report) || "nothing needed to change"}`, blocks: [section(lines.join("\n") || "Done; nothing needed to change.")] };
  }
  const partial = outcome.report ? resultLines(outcome.report) : [];
  const next = outcome.willRetry ? "It is retried automatically (a transient failure)." : "Nothing of the failed migration remains applied.";
  return {
    text: `Failed${outcome.report ? ` after ${appliedCount(outcome.report)}` : ""}: ${outcome.error.slice(0, 300)}`,
    blocks: [...errorBlocks(outcome.error, request.environment), section([...partial, next].join("\n"))].slice(0, 45),
  };
}


/**
 * The Slack side of the worker, rate-aware. A request's own message is edited in place, coalesced to
 * at most one chat.update every UPDATE_EVERY_MS and always rendered from the request as the control
 * database holds it now (a re-delivered job or a worker on another machine cannot leave it stale);
 * its thread gets one reply per phase (lock, backup, result), not one per statement; alerts found
 * together go out as one message. Nothing here makes a job wait for Slack except the final update
 * and result, which are never dropped: the Web API client waits out a 429's Retry-After and retries.
 */
export function slackNotifier(sources: Sources, client: webApi.WebClient, logger: Logger): Notifier {
  const paced = channelPacer();
  const jobs = new Map<string, { updates: Coalescer; progress?: string; phases: Set<StepName>; replies: Promise<unknown>[] }>();
  // A message is rendered from the control database before it goes: that failing is not Slack's, so it gets no Slack hint.
  const warn = (what: string) => (error: unknown) =>
    isSlackError(error)
      ? logger.warn({ err: error instanceof Error ? error.message : String(error), hint: slackErrorHint(error) }, `Slack ${what} failed`)
      : logger.warn({ err: describeError(error) }, `Slack ${what} not sent: making it failed before Slack was asked (the request itself is unaffected)`);

  const jobOf = (requestId: string) => {
    let job = jobs.get(requestId);
    if (!job) {
      const state = { progress: undefined as string | undefined, phases: new Set<StepName>(), replies: [] as Promise<unknown>[] };
      const render = async () => {
        const current = await getRequest(sources.control, requestId);
        if (current) await refreshRequestMessage(sources, client, current, current.status === "running" ? state.progress : undefined);
      };
      job = Object.assign(state, { updates: new Coalescer(render, UPDATE_EVERY_MS, warn("chat.update")) });
      jobs.set(requestId, job);
    }
    return job;
  };
  // A request approved at once may reach the worker before its message reference was saved.
  const withMessage = async (request: ChangeRequest) =>
    request.messageTs ? request : ((await getRequest(sources.control, request.id)) ?? request);
  const reply = (request: ChangeRequest, message: SlackMessage) => {
    const job = jobOf(request.id);
    const sent = withMessage(request).then((current) =>
      current.channelId && current.messageTs
        ? paced(current.channelId, () => postMessage(client, { channel: current.channelId!, threadTs: current.messageTs! }, message))
        : undefined,
    );
    const settled = sent.catch(warn("thread reply"));
    job.replies.push(settled);
    return settled;
  };
  /** The final render and the result: after every earlier reply, never coalesced away. */
  const finish = async (request: ChangeRequest, message?: SlackMessage) => {
    const job = jobOf(request.id);
    // The thread has the details by the time the message shows the result.
    if (message) await reply(request, message);
    await Promise.all(job.replies);
    await job.updates.now();
    jobs.delete(request.id);
  };

  const postAlerts = async (environment: Environment, alerts: HealthAlert[]) => {
    if (alerts.length === 0) return;
    if (!environment.alertChannel) {
      logger.warn({ environment: environment.name, keys: alerts.map((alert) => alert.key) }, "no alertChannel configured; alerts only logged");
      return;
    }
    const channel = environment.alertChannel;
    const message = alerts.length === 1 ? alertMessage(environment, alerts[0]!, sources.now()) : alertsMessage(environment, alerts, sources.now());
    await paced(channel, () => postMessage(client, { channel }, message));
  };

  return {
    async started(request, attempt) {
      const job = jobOf(request.id);
      job.progress = attempt > 1 ? `attempt ${attempt} starting` : "starting";
      job.updates.soon();
      if (attempt > 1) void reply(request, line(`Attempt ${attempt} started (the previous one did not finish).`));
    },
    async progress(request: ChangeRequest, event: ProgressEvent) {
      const job = jobOf(request.id);
      job.progress = event.message;
      job.updates.soon();
      if (THREAD_PHASES.includes(event.step) && !job.phases.has(event.step)) {
        job.phases.add(event.step);
        void reply(request, line(event.message));
      }
    },
    async finished(request, outcome) {
      // The result joins the request's commands and clicks in the audit log, whatever Slack does next.
      await audit(sources.control, {
        actor: "worker",
        teamId: request.teamId,
        action: outcome.status === "succeeded" ? "job.succeeded" : outcome.willRetry ? "job.retrying" : "job.failed",
        requestId: request.id,
        environment: request.environment,
        detail: outcome.status === "succeeded" ? { report: outcome.report } : { error: outcome.error },
      });
      await finish(request, outcomeMessage(request, outcome));
    },
    /** Nobody approved in time: the buttons go, the message says so. */
    async expired(request) {
      await finish(request);
    },
    alert: (environment, alert) => postAlerts(environment, [alert]),
    alerts: postAlerts,
    /** A rollback drill's report, in the alert channel. */
    async drillReport(environment, report) {
      if (!environment.alertChannel) {
        logger.warn({ environment: environment.name, ...report.counts }, "no alertChannel configured; drill report only logged");
        return;
      }
      const channel = environment.alertChannel;
      await paced(channel, () => postMessage(client, { channel }, drillReportMessage(environment, report)));
    },
    /** The watch after an apply: a line in the thread, and the message redrawn (its Keep / Roll back now buttons, its outcome). */
    async watch(watch, request, news) {
      if (request) await finish(request, line(describeWatchNews(watch, news)));
    },
  };
}

/**
 * The Slack notifier for a process that runs jobs without the bot (`rookery worker` on another machine),
 * when SLACK_BOT_TOKEN is set: request messages are still updated wherever their job runs.
 * Undefined without a token (the caller keeps its log notifier). `close` ends its control pool.
 */
export function slackNotifierFromConfig(config: Config, logger: Logger): { notifier: Notifier; close(): Promise<void> } | undefined {
  if (!config.slack.botToken) return undefined;
  const client = new webApi.WebClient(config.slack.botToken, config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {});
  const control = createPool(config.controlDatabaseUrl, { max: 2, applicationName: "rookery-notifier" });
  const sources = { config, control, loadCatalog: async () => readCatalog(config.migrationsDir, config.layout), now: () => new Date() };
  return { notifier: slackNotifier(sources, client, logger), close: () => control.end() };
}
