import type { Environment } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import type { ChangeRequest, WatchRecord } from "../requests/index.ts";
import { describeCheck, describeOutcome, type CheckResult, type RollbackManyReport, type WatchOutcome } from "../runner/index.ts";
import type { ApplyReport, ProgressEvent, RollbackReport } from "../runner/types.ts";
import type { CompleteReport } from "../expand/index.ts";
import { describeDrill, type DrillReport } from "../runner/drill.ts";

/** A `rollback --to` run that succeeded: every version rolled back, newest first. */
export type RolledBackSeveral = Pick<RollbackManyReport, "environment" | "reason" | "rolledBack">;

export type JobOutcome =
  /** A `rollback --to` run reports every version it rolled back (`rolledBack`, newest first). */
  | { status: "succeeded"; report: ApplyReport | RollbackReport | RolledBackSeveral | CompleteReport }
  /** `willRetry`: a transient failure (database unreachable, lock waits exhausted); the job runs again later. */
  | { status: "failed"; error: string; willRetry: boolean; report?: ApplyReport };

/**
 * One problem the health poll found in an environment.
 * `state`: "new" the first time (or when its level changed), "repeat" for an unresolved CRITICAL after
 * alertRepeatHours, "resolved" when it cleared.
 */
export interface HealthAlert {
  /** Stable identity of the problem: "migration:20251101_000001", "drift:20251101_000001", "invalid-index:public.idx". */
  key: string;
  level: "CRITICAL" | "WARNING";
  state: "new" | "repeat" | "resolved";
  version: string | null;
  /** One line a person can read: "migration 20251101_000001 failed 2 h ago". */
  message: string;
  /** When the problem was first seen. */
  since: Date;
  /** What to type next, e.g. "/migrate rollback 20251101_000001 production <reason>". */
  suggestedCommand: string | null;
}

/** What happened to a watch after an apply, for the request's message and thread. */
export type WatchNews =
  | { kind: "started" }
  /** Checks that errored for the first time in this watch (with onCheckError: alert; else the rollback follows). */
  | { kind: "check_errored"; errors: CheckResult[] }
  | { kind: "rolling_back"; failing: CheckResult }
  | { kind: "finished"; outcome: WatchOutcome; decidedBy: string | null };

/** The news in one line a person can read. */
export function describeWatchNews(watch: WatchRecord, news: WatchNews): string {
  const { plan } = watch;
  switch (news.kind) {
    case "started":
      return `watching ${plan.environment} until ${plan.endsAt.toISOString().slice(11, 19)} UTC, every ${Math.round(plan.intervalMs / 1000)} s: ${plan.checks.map((check) => check.name).join(", ")}`;
    case "check_errored":
      return `check could not run (it does not count as passing): ${news.errors.map(describeCheck).join("; ")}`;
    case "rolling_back":
      return `rolling back ${[...plan.versions].reverse().join(", ")}: ${describeCheck(news.failing)}`;
    case "finished":
      return news.decidedBy && news.outcome.status === "kept" ? `watch ended early by ${news.decidedBy}: the change stays` : describeOutcome(news.outcome);
  }
}

/**
 * How jobs and the health poll talk to people. The Slack layer implements it (message updates, thread replies,
 * alert channel); `logNotifier` is for the CLI and a worker without Slack. A notifier failure never fails a job.
 */
export interface Notifier {
  /** A worker took the job (attempt counts from 1). */
  started(request: ChangeRequest, attempt: number): Promise<void>;
  progress(request: ChangeRequest, event: ProgressEvent): Promise<void>;
  finished(request: ChangeRequest, outcome: JobOutcome): Promise<void>;
  /** A pending request ran past expiresMinutes without enough approvals (found by the worker's sweep). Optional. */
  expired?(request: ChangeRequest): Promise<void>;
  /** Posted to environment.alertChannel; called once per change of state, not on every poll. */
  alert(environment: Environment, alert: HealthAlert): Promise<void>;
  /** The alerts one poll found, together (one message for a burst); when absent, `alert` is called for each. */
  alerts?(environment: Environment, alerts: HealthAlert[]): Promise<void>;
  /** A rollback drill's report, for environment.alertChannel. Optional: without it the report is logged. */
  drillReport?(environment: Environment, report: DrillReport): Promise<void>;
  /** The watch after an apply moved on (request is null for a watch handed over by the CLI). Optional. */
  watch?(watch: WatchRecord, request: ChangeRequest | null, news: WatchNews): Promise<void>;
}

export function logNotifier(logger: Logger): Notifier {
  return {
    async started(request, attempt) {
      logger.info({ requestId: request.id, kind: request.kind, environment: request.environment, attempt }, "job started");
    },
    async progress(request, event) {
      logger.info({ requestId: request.id, step: event.step, version: event.version }, event.message);
    },
    async finished(request, outcome) {
      if (outcome.status === "succeeded") logger.info({ requestId: request.id }, "job succeeded");
      else logger.error({ requestId: request.id, willRetry: outcome.willRetry }, `job failed: ${outcome.error}`);
    },
    async expired(request) {
      logger.info({ requestId: request.id, environment: request.environment }, "request expired before it was approved");
    },
    async drillReport(environment, report) {
      const log = report.counts.failed > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
      log({ environment: environment.name, ...report.counts }, describeDrill(report));
    },
    async watch(watch, request, news) {
      logger.info({ watchId: watch.id, requestId: request?.id, environment: watch.plan.environment, kind: news.kind }, describeWatchNews(watch, news));
    },
    async alert(environment, alert) {
      const log = alert.state === "resolved" ? logger.info.bind(logger) : logger.warn.bind(logger);
      log({ environment: environment.name, key: alert.key, level: alert.level, state: alert.state }, alert.message);
    },
  };
}
