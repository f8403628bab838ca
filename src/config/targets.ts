import * as z from "zod";
import { connectionUrl, postgresUrl } from "./connection-url.ts";

/**
 * Many databases in one environment (docs/targets.md): named targets, each one database with its own
 * migrations folder and ledger, or a fleet of tenant databases that share one folder and run in waves.
 * An environment without `targets` is one database, exactly as before.
 */

export const TARGET_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

export const FleetDatabaseSchema = z
  .object({
    name: z.string({ error: "a database name" }).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, "letters, digits, _ . and - (at most 63)"),
    databaseUrl: postgresUrl,
  })
  .strict();

export type FleetDatabase = z.infer<typeof FleetDatabaseSchema>;

export const FleetRegistrySchema = z
  .object({
    /** The database holding the list of tenant databases. */
    databaseUrl: connectionUrl,
    /** Returns one row per database: a `name` column and a `url` (or `database_url`) column, in wave order. */
    query: z.string().min(1, "a SELECT returning name and url"),
  })
  .strict();

export const FleetSchema = z
  .object({
    databases: z.array(FleetDatabaseSchema).min(1, "at least one database").optional(),
    registry: FleetRegistrySchema.optional(),
    /** Databases in the first wave, alone; 0 means no canary wave. */
    canary: z.number().int().min(0).default(1),
    waveSize: z.number().int().min(1).default(10),
    maxParallel: z.number().int().min(1).max(64).default(4),
    /** Halt when more than this share of the fleet failed; 0 halts at the first failure. */
    maxFailurePercent: z.number().min(0).max(100).default(0),
  })
  .strict()
  .refine((fleet) => (fleet.databases === undefined) !== (fleet.registry === undefined), "a fleet lists either databases or a registry, exactly one of them")
  .refine((fleet) => new Set(fleet.databases?.map((db) => db.name)).size === (fleet.databases?.length ?? 0), {
    message: "database names in a fleet must be unique",
    path: ["databases"],
  });

export type Fleet = z.infer<typeof FleetSchema>;

export const TargetSchema = z
  .object({
    databaseUrl: connectionUrl.optional(),
    /** This target's migrations folder, relative to the working folder; default the migrations folder (--dir). */
    dir: z.string().min(1).optional(),
    fleet: FleetSchema.optional(),
  })
  .strict()
  .refine((target) => (target.databaseUrl === undefined) !== (target.fleet === undefined), "a target has either databaseUrl (one database) or fleet (many), exactly one of them");

export type TargetConfig = z.infer<typeof TargetSchema>;

export const TargetsSchema = z
  .record(z.string().regex(TARGET_NAME, "lower-case target names"), TargetSchema)
  .refine((targets) => Object.keys(targets).length > 0, "at least one target");

type RawEnvironment = { databaseUrl?: unknown; targets?: Record<string, { databaseUrl?: unknown } | undefined>; targetOrder?: unknown };

/**
 * An environment with targets needs no top-level databaseUrl: it defaults to its first single-database
 * target, which every single-database command (rollback, history, backup, ...) keeps using.
 */
export function withPrimaryDatabaseUrl(value: unknown, ctx: { addIssue(issue: { code: "custom"; message: string; path?: PropertyKey[]; input?: unknown }): void }): unknown {
  if (typeof value !== "object" || value === null) return value;
  const raw = value as RawEnvironment;
  if (raw.databaseUrl !== undefined || typeof raw.targets !== "object" || raw.targets === null) return value;
  const order = Array.isArray(raw.targetOrder) ? (raw.targetOrder as string[]) : Object.keys(raw.targets);
  const primary = order.map((name) => raw.targets![name]?.databaseUrl).find((url) => typeof url === "string");
  if (primary !== undefined) return { ...raw, databaseUrl: primary };
  ctx.addIssue({
    code: "custom",
    path: ["databaseUrl"],
    input: value,
    message: "every target is a fleet, so give databaseUrl: the database single-database commands (rollback, history, backup) use",
  });
  return { ...raw, databaseUrl: "unset" };
}

/** targetOrder names every target exactly once. */
export function checkTargetOrder(
  environment: { targets?: Record<string, unknown> | undefined; targetOrder?: string[] | undefined },
  ctx: { addIssue(issue: { code: "custom"; message: string; path?: PropertyKey[]; input?: unknown }): void },
): void {
  const { targets, targetOrder } = environment;
  if (targetOrder === undefined) return;
  if (targets === undefined) {
    ctx.addIssue({ code: "custom", path: ["targetOrder"], input: targetOrder, message: "targetOrder needs targets" });
    return;
  }
  const names = Object.keys(targets);
  const unknown = targetOrder.filter((name) => !names.includes(name));
  const missing = names.filter((name) => !targetOrder.includes(name));
  const twice = targetOrder.filter((name, index) => targetOrder.indexOf(name) !== index);
  const problems = [
    unknown.length ? `names no target ${unknown.join(", ")}` : "",
    missing.length ? `leaves out ${missing.join(", ")}` : "",
    twice.length ? `names ${[...new Set(twice)].join(", ")} twice` : "",
  ].filter(Boolean);
  if (problems.length > 0) {
    ctx.addIssue({ code: "custom", path: ["targetOrder"], input: targetOrder, message: `${problems.join("; ")} (targets: ${names.join(", ")})` });
  }
}
