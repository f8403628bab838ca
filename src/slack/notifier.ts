import { webApi } from "@slack/bolt";
import { readCatalog } from "../catalog/index.ts";
import type { Config, Environment } from "../config/index.ts";
import { createPool } from "../db/index.ts";
import type { Logger } from "../log/logger.ts";
import type { HealthAlert, JobOutcome, Notifier } from "../queue/index.ts";
import { audit, getRequest, type ChangeRequest } from "../requests/index.ts";
import type { ApplyReport, ProgressEvent, RollbackReport } from "../runner/types.ts";
import type { SlackDeps } from "./deps.ts";
import { refreshRequestMessage, replyInThread } from "./request-updates.ts";
import { alertMessage } from "./views/alert-message.ts";
import { code, escapeMrkdwn, section, type SlackMessage } from "./views/blocks.ts";

type Sources = Pick<SlackDeps, "config" | "control" | "loadCatalog" | "now">;

function line(text: string): SlackMessage {
  return { text, blocks: [section(text)] };
}

function resultLines(report: ApplyReport | RollbackReport): string[] {
  if ("applied" in report) {
    return [
      ...report.applied.map(
        (migration) =>
          `:white_check_mark: ${code(migration.version)} applied in ${(migration.durationMs / 1000).toFixed(1)} s${migration.lockRetries > 0 ? ` after ${migration.lockRetries} lock retries` : ""}${migration.outsideTransaction ? " (outside a transaction)" : ""}`,
      ),
      ...report.skipped.map((skip) => `:fast_forward: ${code(skip.version)} skipped: ${escapeMrkdwn(skip.reason)}`),
    ];
  }
  return [`:leftwards_arrow_with_hook: ${code(report.version)} rolled back in ${(report.durationMs / 1000).toFixed(1)} s — reason: ${escapeMrkdwn(report.reason)}`];
}

function outcomeMessage(outcome: JobOutcome): SlackMessage {
  if (outcome.status === "succeeded") {
    const lines = resultLines(outcome.report);
    return { text: lines.join("\n").replace(/:[a-z_]+: /g, ""), blocks: [section(lines.join("\n") || "Done; nothing needed to change.")] };
  }
  const partial = outcome.report ? resultLines(outcome.report) : [];
  const next = outcome.willRetry ? "It is retried automatically (a transient failure)." : "Nothing of the failed migration remains applied.";
  return line(`:x: ${escapeMrkdwn(outcome.error)}\n${[...partial, next].join("\n")}`);
}

/**
 * The Slack side of the worker: a request's own message is edited in place as its job moves on (so
 * the response_url's 5 replies are never needed), the details go to its thread, and health alerts to
 * the environment's alert channel.
 */
export function slackNotifier(sources: Sources, client: webApi.WebClient, logger: Logger): Notifier {
  // A request approved at once may reach the worker before its message reference was saved.
  const withMessage = async (request: ChangeRequest) =>
    request.messageTs ? request : ((await getRequest(sources.control, request.id)) ?? request);
  const update = async (request: ChangeRequest, progress?: string) => {
    const current = await withMessage(request);
    await refreshRequestMessage(sources, client, current, progress);
    return current;
  };
  return {
    async started(request, attempt) {
      const current = await update(request, attempt > 1 ? `attempt ${attempt} starting` : "starting");
      await replyInThread(client, current, line(`:gear: job started${attempt > 1 ? ` (attempt ${attempt})` : ""}`));
    },
    async progress(request: ChangeRequest, event: ProgressEvent) {
      const current = await update(request, event.message);
      await replyInThread(client, current, line(escapeMrkdwn(event.message)));
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
      const current = await update(request);
      await replyInThread(client, current, outcomeMessage(outcome));
    },
    /** Nobody approved in time: the buttons go, the message says so. */
    async expired(request) {
      await update(request);
    },
    async alert(environment: Environment, alert: HealthAlert) {
      if (!environment.alertChannel) {
        logger.warn({ environment: environment.name, key: alert.key }, "no alertChannel configured; alert only logged");
        return;
      }
      const message = alertMessage(environment, alert, sources.now());
      await client.chat.postMessage({ channel: environment.alertChannel, text: message.text, blocks: message.blocks });
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
