import * as z from "zod";
import { LAYOUT_NAMES, type LayoutName } from "../catalog/layouts/layout.ts";
import { drillSchedule, duration } from "./duration.ts";
import { connectionUrl } from "./connection-url.ts";
import { checkTargetOrder, TargetsSchema, withPrimaryDatabaseUrl } from "./targets.ts";

/** How the migrations folder is laid out: the document's, another tool's read in place, or detected. */
export const MigrationsLayoutSchema = z.enum([...LAYOUT_NAMES, "auto"]);

/** A Slack user id (U…/W…) or user group id (S…). */
const slackPrincipal = z.string().regex(/^[UWS][A-Z0-9]{2,}$/, "a Slack user id (U…) or user group id (S…)");

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day like "09:00"');

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** When changes may be deployed; outside it requests are refused with the next open time. */
export const DeploymentWindowSchema = z
  .object({
    days: z.array(z.enum(WEEKDAYS)).min(1),
    from: hhmm,
    to: hhmm,
    timeZone: z.string().refine(isTimeZone, "an IANA time zone like \"Europe/Berlin\"").default("UTC"),
  })
  .strict();

/** A check's name as it appears in messages and events: `no_failed_jobs`, `p95-checkout`. */
export const CHECK_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/;

/**
 * Automatic rollback (src/runner/watch.ts): after an apply, verify, the file's own `-- rookery:check` lines
 * and these checks run every `interval` for `watchMinutes`; a failing one rolls the request back.
 */
export const AutoRollbackSchema = z
  .object({
    watchMinutes: z.number().positive().max(24 * 60),
    interval: duration.refine((ms) => ms >= 100, "at least 100ms").default(30_000),
    /** name -> SQL returning one boolean (true: healthy), run read-only on the target. */
    checks: z.record(z.string().regex(CHECK_NAME, "a check name like no_failed_jobs"), z.string().min(1, "SQL returning one boolean")).default({}),
    /** How long one check may run before it counts as an error. */
    checkTimeout: duration.refine((ms) => ms >= 10, "at least 10ms").default(5000),
    /** A check that errors (bad SQL, timeout) rolls back like a failing one, or is only alerted. */
    onCheckError: z.enum(["rollback", "alert"]).default("rollback"),
  })
  .strict();

export type AutoRollback = z.infer<typeof AutoRollbackSchema>;

export const EnvironmentSchema = z
  .object({
    databaseUrl: connectionUrl,
    // Many databases (src/config/targets.ts, docs/targets.md)
    targets: TargetsSchema.optional(),
    targetOrder: z.array(z.string()).optional(),
    /** The schema of Rookery's ledger tables and functions: another tool's `public.schema_migrations` can stay beside it. */
    ledgerSchema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, "a lower-case schema name like rookery")
      .refine((name) => !name.startsWith("pg_") && name !== "information_schema", "not a system schema")
      .default("public"),
    // The engine
    /** Short, so an application query queued behind a migration waiting for its lock stalls at most this long. */
    lockTimeout: duration.default(500),
    statementTimeout: duration.default(300_000),
    /** Concurrent index builds wait for older snapshots, so they get their own, longer lock wait. */
    concurrentLockTimeout: duration.default(300_000),
    /** With the short lockTimeout, more tries (backoff with jitter between them) keep the total patience about 15 s. */
    lockRetries: z.number().int().min(0).max(30).default(10),
    /** How long a runner waits for another runner's advisory lock on the same database. */
    advisoryLockWait: duration.default(180_000),
    /** How long past a query's own server-side timeout the client waits for an answer before calling the connection dead. */
    queryDeadlineGrace: duration.default(30_000),
    /** How often a query with no server-side timeout (a concurrent index build) has the server asked, on a side connection, whether it still runs. */
    queryLivenessInterval: duration.refine((ms) => ms >= 100, "at least 100ms").default(10_000),
    criticalTables: z.array(z.string().min(1)).default([]),
    // Approvals (chat)
    approvals: z.number().int().min(0).max(10).default(0),
    approvers: z.array(slackPrincipal).default([]),
    requesters: z.array(slackPrincipal).default([]),
    expiresMinutes: z.number().positive().default(60),
    // Alerts
    alertChannel: z.string().min(1).optional(),
    healthPollSeconds: z.number().int().min(5).default(60),
    alertRepeatHours: z.number().positive().default(4),
    // Analysis
    blockOn: z.array(z.enum(["error", "warning"])).default(["error"]),
    /** `rookery lint` with the database: a live table of at most this many bytes (indexes included) is no locking hazard; empty ones never are. */
    smallTableBytes: z.number().int().min(0).default(0),
    /** The target's Postgres major version for lint without a database (with one, its server_version_num wins). */
    postgresVersion: z.number().int().min(9).max(99).optional(),
    // Production safety
    backup: z.boolean().default(false),
    backupDir: z.string().default("./backups"),
    /** Retention of pre-apply dumps: how many to keep (a count) or how long ("14d", "48h"); unset keeps all. */
    backupKeep: z
      .union([
        z.number().int().min(1),
        z
          .string()
          .regex(/^\d+(d|h)$/, 'a count like 10, or an age like "14d" or "48h"')
          .transform((text) => ({ maxAgeMs: Number(text.slice(0, -1)) * (text.endsWith("d") ? 86_400_000 : 3_600_000) })),
      ])
      .optional(),
    /** Versions whose data-change archive (rookery_archive) is kept; older archives are dropped. */
    archiveKeep: z.number().int().min(1).default(20),
    requireStaging: z.string().min(1).optional(),
    minSoakHours: z.number().min(0).default(0),
    requireRollbackProof: z.boolean().default(false),
    breakGlass: z.boolean().default(false),
    /** The role tenant-scoped files run as (SET LOCAL ROLE), so row level security policies apply to them. */
    tenantRole: z.string().min(1).optional(),
    windows: z.array(DeploymentWindowSchema).default([]),
    /** Off unless present. */
    autoRollback: AutoRollbackSchema.optional(),
    // Expand-contract migrations (docs/expand-contract.md)
    backfillBatchSize: z.number().int().min(1).max(100_000).default(1000),
    maxExpandedHours: z.number().positive().default(24),
    /** The complete request's pg_stat_statements check of a deprecated column or table speaks of this window. */
    deprecationWindowHours: z.number().positive().default(24),
  })
  .strict();

/**
 * Rollback drills (src/runner/drill.ts): on a schedule, every applied migration with a rollback is proven
 * again on a scratch copy of the environment's schema. `every`: "7d", "12h", ... or a cron expression.
 */
export const DrillSchema = z
  .object({
    every: drillSchedule,
    environment: z.string().min(1),
    maxMinutes: z.number().positive().max(24 * 60).default(30),
  })
  .strict();

export type Drill = z.infer<typeof DrillSchema>;

export type Environment = z.infer<typeof EnvironmentSchema> & {
  name: string;
  /**
   * Set where the environment has targets, to the database this copy of it runs on (`oltp`, a fleet's
   * `tenants-acme`): its pre-apply dumps are named and pruned as that database's, not the environment's.
   */
  backupDatabase?: string;
};

export const ConfigFileSchema = z
  .object({
    environments: z.record(
      z.string().regex(/^[a-z][a-z0-9_-]*$/, "lower-case environment names"),
      z.preprocess(withPrimaryDatabaseUrl, EnvironmentSchema).superRefine(checkTargetOrder),
    ),
    /** One drill or a list of them. */
    drills: z.preprocess((value) => (value === undefined || Array.isArray(value) ? value : [value]), z.array(DrillSchema)).optional(),
    /** The migrations folder's layout (docs/migration-files.md); detected when absent. */
    layout: MigrationsLayoutSchema.optional(),
  })
  .strict()
  .refine((file) => Object.keys(file.environments).length > 0, "at least one environment")
  .superRefine((file, context) => {
    (file.drills ?? []).forEach((drill, index) => {
      if (!Object.hasOwn(file.environments, drill.environment)) {
        context.addIssue({ code: "custom", path: ["drills", index, "environment"], message: `"${drill.environment}" is not one of the environments (${Object.keys(file.environments).join(", ")})` });
      }
    });
  });

export type ConfigFile = z.infer<typeof ConfigFileSchema>;

export interface SlackSettings {
  botToken?: string;
  appToken?: string;
  signingSecret?: string;
  apiUrl?: string;
  botUserId?: string;
}

export interface Config {
  environments: Record<string, Environment>;
  migrationsDir: string;
  /** The migrations folder's layout: one of the layouts, or "auto" (detected; a mixed folder is refused). Absent: "auto". */
  layout?: LayoutName | "auto";
  controlDatabaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  port: number;
  logLevel: string;
  /** After SIGTERM, how long a worker waits for its jobs and connections before it exits anyway (default 30 s). */
  shutdownGraceMs?: number;
  slack: SlackSettings;
  /** Scheduled rollback drills; none unless the config file has `drills`. */
  drills?: Drill[];
  /** Where the environments came from, for messages. */
  source: string;
}

export const ProcessEnvSchema = z.object({
  DATABASE_URL: connectionUrl.optional(),
  ROOKERY_CONFIG: z.string().min(1).optional(),
  MIGRATIONS_DIR: z.string().min(1).optional(),
  MIGRATIONS_LAYOUT: MigrationsLayoutSchema.optional(),
  CONTROL_DATABASE_URL: connectionUrl.optional(),
  REDIS_URL: z.string().min(1).default("redis://127.0.0.1:6379"),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]+$/).default("rookery"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SHUTDOWN_GRACE: duration.default(30_000),
  SLACK_BOT_TOKEN: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z.string().min(1).optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_API_URL: z.string().url().optional(),
  SLACK_BOT_USER_ID: z.string().min(1).optional(),
});
