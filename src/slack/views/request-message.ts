import type { MigrationAnalysis } from "../../analysis/index.ts";
import type { ChangeRequest, RequestStatus, WatchStatus } from "../../requests/index.ts";
import { ACTION } from "./action-ids.ts";
import {
  actions,
  andMore,
  code,
  context,
  divider,
  escapeMrkdwn,
  header,
  inertExcerpt,
  MAX_LISTED,
  section,
  sections,
  shortChecksum,
  sqlPreview,
  userMention,
  type SlackBlock,
  type SlackMessage,
} from "./blocks.ts";
import type { ExpansionSummary } from "../../runner/index.ts";
import { expansionLine } from "./expansion-line.ts";
import { findingLines } from "./findings.ts";
import { names } from "./targets-blocks.ts";

/** One migration of a request as an approver needs to see it. */
export interface CardMigration {
  version: string;
  description: string;
  pinnedChecksum: string;
  /** The file on disk no longer matches the pinned checksum (or is gone): the job will refuse it. */
  changedSinceRequest: boolean;
  hasRollback: boolean;
  analysis?: MigrationAnalysis;
  sql?: string;
  /** A complete request's expansion as the ledger has it (since when, backfill), while the request is undecided. */
  expansion?: ExpansionSummary;
  /** Across targets (docs/targets.md): the targets whose folder pinned it, so the approver sees where it runs. */
  targets?: string[];
  /** A complete request's deprecation check (pg_stat_statements) of what the contract drops, one line each. */
  deprecation?: string[];
}

/** Everything the request message shows besides the stored request; rebuilt for every update. */
export interface RequestCard {
  request: ChangeRequest;
  migrations: CardMigration[];
  /** The document's safety check, for rollbacks. */
  rollbackSafety?: { safety: "SAFE_TO_ROLLBACK" | "RECENT_MIGRATION_CAUTION"; appliedAt?: string };
  /** Lint findings that block approval until an approver overrides them. */
  blocking: string[];
  overriddenBy?: string;
  /** An approver's reason for rejecting it. */
  rejectionReason?: string;
  /** What the last approval sets off, in words. */
  lastApprovalDoes: string;
  /** The latest progress line of a running job. */
  progress?: string;
  /** The watch after the apply (autoRollback), while it runs and once it ended. */
  watch?: CardWatch;
  /** A rollback across targets: which databases roll back which versions (docs/targets.md). */
  rollbackPlan?: CardRollbackGroup[];
}

/** Databases of one target that roll back the same versions, newest first. */
export interface CardRollbackGroup {
  target: string;
  fleet: boolean;
  databases: string[];
  versions: string[];
}

export interface CardWatch {
  status: WatchStatus;
  endsAt: Date;
  checks: string[];
  /** How it ended, in one line (src/queue/notifier.ts describeWatchNews). */
  outcome?: string;
}

/** The request's id on its message (header block id), so any message can be traced to its request. */
export function requestBlockId(requestId: string): string {
  return `request:${requestId}`;
}

export function requestIdOfBlocks(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return undefined;
  const id = (blocks as { block_id?: unknown }[]).find((block) => typeof block.block_id === "string" && block.block_id.startsWith("request:"))?.block_id;
  return typeof id === "string" ? id.slice("request:".length) : undefined;
}

const STATUS_LINE: Record<RequestStatus, string> = {
  pending: ":hourglass_flowing_sand: waiting for approval",
  approved: ":white_check_mark: approved, about to be queued",
  queued: ":inbox_tray: approved, queued",
  running: ":gear: running",
  succeeded: ":white_check_mark: done",
  failed: ":x: failed",
  rejected: ":no_entry_sign: rejected",
  expired: ":alarm_clock: expired",
  cancelled: ":heavy_multiplication_x: cancelled",
};

/** A reason longer than this (once made inert) is shortened on the message and shown whole in its thread. */
export const REASON_INLINE_CHARS = 600;

/** Whether the request's reason is too long for its message, so `reasonReply` goes to the thread. */
export function reasonIsLong(reason: string | null): reason is string {
  return reason !== null && escapeMrkdwn(reason).length > REASON_INLINE_CHARS;
}

/** The reason whole, in as many sections as it needs, for the request's thread. */
export function reasonReply(reason: string): SlackMessage {
  return { text: `Reason (${reason.length} characters)`, blocks: sections(`*Reason, whole:*\n${escapeMrkdwn(reason)}`) };
}

function reasonLine(reason: string): string {
  if (!reasonIsLong(reason)) return `*Reason:* ${escapeMrkdwn(reason)}`;
  return `*Reason:* ${inertExcerpt(reason, REASON_INLINE_CHARS)} _(${reason.length} characters; the whole reason is in the thread)_`;
}

function title(request: ChangeRequest): string {
  const what =
    request.kind === "apply" ? `Apply ${request.versions.length === 1 ? request.versions[0] : `${request.versions.length} migrations`}`
    : request.kind === "complete" ? `Complete ${request.versions[0]} (expand-contract: the old shape goes)`
    : request.kind === "baseline" ? `Baseline ${request.environment} up to ${[...request.versions].sort().at(-1)}: record ${request.versions.length} version(s) as applied without running them`
    : request.versions.length === 1 ? `Roll back ${request.versions[0]}` : `Roll back ${request.versions.length} versions, newest first: ${request.versions.join(", ")}`;
  return `${what} on ${request.environment}`;
}

function statusLine(card: RequestCard, who: (userId: string) => string = userMention): string {
  const { request } = card;
  const base = STATUS_LINE[request.status];
  if (request.status === "pending") {
    return `${base} (${request.approvals.length} of ${request.approvalsRequired})`;
  }
  if (request.status === "rejected" || request.status === "cancelled") {
    return `${base}${request.decidedBy ? ` by ${who(request.decidedBy)}` : ""}`;
  }
  // Deferred to a deployment window: say when it runs, not "about to be queued" for hours.
  if ((request.status === "approved" || request.status === "queued") && request.notBefore && request.notBefore.getTime() > Date.now()) {
    return `:calendar: approved, runs at the next deployment window (${request.notBefore.toISOString().slice(0, 16).replace("T", " ")} UTC)`;
  }
  return base;
}

/** Past MAX_LISTED migrations, the rest of a request is counted, not listed: a message holds 50 blocks. */
function remainingMigrations(card: RequestCard): SlackBlock[] {
  const rest = card.migrations.slice(MAX_LISTED);
  if (rest.length === 0) return [];
  const { request } = card;
  const byType = new Map<string, number>();
  for (const migration of rest) {
    const type = migration.analysis?.type ?? "unknown type";
    byType.set(type, (byType.get(type) ?? 0) + 1);
  }
  const withoutRollback = rest.filter((migration) => !migration.hasRollback).length;
  const changed = rest.filter((migration) => migration.changedSinceRequest).length;
  const findings = rest.reduce((sum, migration) => sum + (migration.analysis?.findings.length ?? 0), 0);
  const where = request.status === "pending" ? `rookery plan --env ${request.environment}` : `rookery status --env ${request.environment}`;
  return [
    section(
      [
        `${andMore(card.migrations.length, MAX_LISTED, where)} (up to ${code(rest.at(-1)!.version)})`,
        [...byType].map(([type, count]) => `${count} ${escapeMrkdwn(type)}`).join(" · "),
        [
          withoutRollback > 0 ? `*${withoutRollback} without a rollback file*` : "all with a rollback file",
          findings > 0 ? `${findings} lint findings` : "",
          changed > 0 ? `:rotating_light: ${changed} changed since this request` : "",
        ]
          .filter(Boolean)
          .join(" · "),
      ].join("\n"),
    ),
  ];
}

function migrationBlock(migration: CardMigration, request: ChangeRequest): SlackBlock[] {
  const facts = [
    migration.targets ? `on ${migration.targets.map((target) => `*${escapeMrkdwn(target)}*`).join(", ")}` : "",
    migration.analysis ? `*${migration.analysis.type}*` : "",
    `checksum ${code(shortChecksum(migration.pinnedChecksum))}`,
    request.kind === "complete"
      ? "contract: drops what the expansion kept for the old release"
      : request.kind === "baseline"
      ? "recorded as applied, not run"
      : request.kind === "apply"
      ? migration.hasRollback
        ? "rollback available"
        : "*no rollback file*"
      : migration.hasRollback
        ? "runs the rollback script stored when it was applied"
        : "*no stored rollback script*",
  ].filter(Boolean);
  const lines = [
    `${code(migration.version)} ${inertExcerpt(migration.description, 300)}`,
    facts.join(" · "),
    ...(migration.changedSinceRequest ? [":rotating_light: the file changed since this request: the job will refuse it"] : []),
    ...(migration.expansion ? [expansionLine(migration.version, migration.expansion)] : []),
    ...(migration.deprecation ?? []).map((line) => inertExcerpt(line, 600)),
    ...(migration.analysis ? findingLines(migration.analysis) : []),
  ];
  // The SQL is for the approvers: shown while the request waits for them, then the message is about progress.
  const preview = request.status === "pending" && migration.sql ? withoutHeaderComments(migration.sql) : "";
  return [section(lines.join("\n")), ...(preview ? [section(sqlPreview(preview, 400))] : [])];
}

/** The file's leading comment block (description, directives) is already shown as the description. */
function withoutHeaderComments(sql: string): string {
  const lines = sql.split("\n");
  const first = lines.findIndex((line) => line.trim() !== "" && !line.trim().startsWith("--"));
  return first === -1 ? "" : lines.slice(first).join("\n");
}

function buttonsFor(card: RequestCard): SlackBlock[] {
  const { request } = card;
  if (request.status === "pending") {
    const overrideNeeded = card.blocking.length > 0 && !card.overriddenBy;
    return [
      actions("request_actions", [
        ...(overrideNeeded ? [{ text: "Override lint (audited)", actionId: ACTION.override, value: request.id, style: "danger" as const }] : []),
        { text: "Approve", actionId: ACTION.approve, value: request.id, style: "primary" },
        { text: "Reject", actionId: ACTION.reject, value: request.id, style: "danger" },
      ]),
    ];
  }
  if (request.status === "failed" && request.kind === "apply") {
    return [actions("request_actions", [{ text: "Request rollback", actionId: ACTION.requestRollback, value: request.id }])];
  }
  if (card.watch?.status === "watching") {
    return [
      actions("watch_actions", [
        { text: "Keep", actionId: ACTION.keepWatch, value: request.id, style: "primary" },
        { text: "Roll back now", actionId: ACTION.rollBackNow, value: request.id, style: "danger" },
      ]),
    ];
  }
  return [];
}

/** Automatic rollback: what the watch looks at until when, or how it ended. */
function watchLines(watch: CardWatch | undefined): string[] {
  if (!watch) return [];
  if (watch.status === "watching") {
    return [`:eyes: watching until <!date^${Math.floor(watch.endsAt.getTime() / 1000)}^{time}|${watch.endsAt.toISOString().slice(11, 16)} UTC>: ${inertExcerpt(watch.checks.join(", "), 600)}; a failing check rolls it back`];
  }
  if (watch.status === "rolling_back") return [":leftwards_arrow_with_hook: rolling back automatically"];
  const icon = watch.status === "kept" ? ":white_check_mark:" : watch.status === "rolled_back" ? ":leftwards_arrow_with_hook:" : ":rotating_light:";
  return [`${icon} ${inertExcerpt(watch.outcome ?? watch.status, 1200)}`];
}

function outcomeLines(card: RequestCard): string[] {
  const { request } = card;
  if (request.status === "failed" && request.error) return [`*Error:* ${inertExcerpt(request.error, 1500)}`];
  if (request.status === "expired") return ["Nobody approved it in time; nothing ran. Ask again with the same command."];
  if (request.status === "rejected" && card.rejectionReason) return [`*Why:* ${inertExcerpt(card.rejectionReason, REASON_INLINE_CHARS)}`];
  if (request.status === "running" && card.progress) return [inertExcerpt(card.progress, 1000)];
  if ((request.status === "queued" || request.status === "approved") && request.error) {
    return [`Waiting to retry: ${inertExcerpt(request.error, 500)}`];
  }
  return watchLines(card.watch);
}

/** Where a rollback across targets runs: one line per target and set of versions, a fleet's databases named in short. */
function rollbackPlanBlocks(plan: CardRollbackGroup[] | undefined, request: ChangeRequest): SlackBlock[] {
  if (!plan || plan.length === 0) return [];
  const databases = plan.reduce((sum, group) => sum + group.databases.length, 0);
  const lines = plan.slice(0, MAX_LISTED).map((group) => {
    const where = group.fleet ? `*${escapeMrkdwn(group.target)}* ${group.databases.length} database(s) (${names(group.databases)})` : `*${escapeMrkdwn(group.target)}*`;
    const versions = group.versions.slice(0, 5).map(code).join(", ") + (group.versions.length > 5 ? ` and ${group.versions.length - 5} more` : "");
    return `• ${where}: ${versions}`;
  });
  // Long database names make ten groups longer than one section holds: split on line breaks.
  return sections(
    [`*Rolls back on ${databases} database(s), newest first, each with the script stored when it was applied:*`, ...lines, ...(plan.length > MAX_LISTED ? [andMore(plan.length, MAX_LISTED, `rookery history --env ${request.environment}`)] : [])].join("\n"),
  );
}

/** Lint findings that block a request: the first few, then a count. */
function blockingLines(lines: string[]): string {
  const shown = lines.slice(0, 5).map((line) => `• ${inertExcerpt(line, 400)}`);
  return [...shown, ...(lines.length > shown.length ? [`… and ${lines.length - shown.length} more (\`rookery lint\`)`] : [])].join("\n");
}

export function requestMessage(card: RequestCard): SlackMessage {
  const { request } = card;
  const approvals = request.approvals.map((approval) => userMention(approval.userId)).join(", ");
  const intro = [
    `Requested by ${userMention(request.requestedBy)} · environment *${escapeMrkdwn(request.environment)}* · request \`${request.id.slice(0, 8)}\``,
    ...(request.reason ? [reasonLine(request.reason)] : []),
  ];
  const safety = card.rollbackSafety
    ? [
        context(
          card.rollbackSafety.safety === "SAFE_TO_ROLLBACK"
            ? ":white_check_mark: safety check: SAFE_TO_ROLLBACK (applied more than an hour ago)"
            : ":warning: safety check: RECENT_MIGRATION_CAUTION (applied less than an hour ago; check nothing new depends on it)",
        ),
      ]
    : [];
  const blocking =
    card.blocking.length > 0
      ? [
          section(
            card.overriddenBy
              ? `:unlock: lint findings overridden by ${userMention(card.overriddenBy)}`
              : `:no_entry: *Blocked by lint findings* — an approver must override before approving:\n${blockingLines(card.blocking)}`,
          ),
        ]
      : [];
  return {
    text: `${title(request)}: ${statusLine(card, (userId) => userId).replace(/:[a-z_]+: /, "")}`,
    blocks: [
      header(title(request), requestBlockId(request.id)),
      section(`*${statusLine(card)}*\n${intro.join("\n")}`),
      ...card.migrations.slice(0, MAX_LISTED).flatMap((migration) => migrationBlock(migration, request)),
      ...remainingMigrations(card),
      ...rollbackPlanBlocks(card.rollbackPlan, request),
      ...safety,
      ...blocking,
      ...outcomeLines(card).map((line) => section(line)),
      divider(),
      context(
        [
          approvals ? `Approved by ${approvals}` : "",
          request.status === "pending" ? card.lastApprovalDoes : "",
          request.status === "pending" ? `expires <!date^${Math.floor(request.expiresAt.getTime() / 1000)}^{time}|${request.expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC>` : "",
        ]
          .filter(Boolean)
          .join(" · ") || `Last change ${request.updatedAt.toISOString().slice(0, 16).replace("T", " ")} UTC`,
      ),
      ...buttonsFor(card),
    ],
  };
}
