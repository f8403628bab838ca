import { randomBytes } from "node:crypto";
import type { Catalog } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { withClient } from "../db/index.ts";
import { describeError, RookeryError } from "../errors.ts";
import { ensureLedger, inLedgerSchema, readLedger, type LedgerEntry } from "../ledger/index.ts";
import { applyMigrations } from "./apply.ts";
import { createScratchCopy, dropScratch } from "./prove.ts";
import { rollbackMigration } from "./rollback.ts";
import { compareSnapshots, snapshotSchema, type SchemaSnapshot } from "./schema-snapshot.ts";
import { withLedgerClient } from "../session/session.ts";
import type { ProgressListener } from "./types.ts";

/**
 * Rollback drills: the document's "quarterly rollback testing", made a schedule. Every applied migration
 * with a stored rollback is proven again on a scratch copy of the environment's schema, newest first:
 * its rollback runs (the script stored when it was applied, both times: it is what an automatic or manual
 * rollback would run), it is applied again from its file, and rolled back again; the schema after "rollback, apply" must be the one it was applied on, and the two
 * rollbacks must leave the same schema. The copy then stands where the version was not yet applied, so
 * the next older version is proven on it. The environment itself is only read (by pg_dump and the ledger).
 */
export interface DrillVersion {
  version: string;
  description: string;
  outcome: "proven" | "failed" | "skipped" | "not_reached";
  /** For failed: each names an object and what is wrong ("constraint orders.orders_amount_positive remains ..."). */
  differences: string[];
  /** For skipped and not reached: why. */
  reason?: string;
  durationMs: number;
}

export interface DrillReport {
  environment: string;
  startedAt: string;
  durationMs: number;
  /** Newest first, every applied version. */
  versions: DrillVersion[];
  counts: { proven: number; failed: number; skipped: number; notReached: number };
}

const DRILL_ACTOR = "rookery:drill";

/** The copy's ledger holds the environment's applied rows, so the engine rolls back with the stored scripts. */
async function seedLedger(url: string, schema: string, applied: LedgerEntry[]): Promise<void> {
  await withClient(url, async (client) => {
    await ensureLedger(client, schema);
    for (const entry of applied) {
      await client.query(
        inLedgerSchema(
          `INSERT INTO public.schema_migrations (version, description, applied_by, rollback_script, checksum, status)
           VALUES ($1, $2, $3, $4, $5, 'applied')
           ON CONFLICT (version) DO UPDATE SET rollback_script = EXCLUDED.rollback_script, checksum = EXCLUDED.checksum, status = 'applied'`,
          schema,
        ),
        [entry.version, entry.description, entry.appliedBy || DRILL_ACTOR, entry.rollbackScript, entry.checksum],
      );
    }
  });
}

function counts(versions: DrillVersion[]): DrillReport["counts"] {
  const count = (outcome: DrillVersion["outcome"]) => versions.filter((version) => version.outcome === outcome).length;
  return { proven: count("proven"), failed: count("failed"), skipped: count("skipped"), notReached: count("not_reached") };
}

/** Keys of the objects that differ between two snapshots. */
function differingKeys(before: SchemaSnapshot, after: SchemaSnapshot): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((key) => before.get(key) !== after.get(key));
}

/** The snapshot without the objects an earlier failed rollback left behind: they are that version's fault, not this one's. */
function without(snapshot: SchemaSnapshot, tainted: Set<string>): SchemaSnapshot {
  return new Map([...snapshot].filter(([key]) => !tainted.has(key)));
}

/** The object a failed re-apply found already there ("constraint "x" for relation "t" already exists"): the first quoted name. */
function leftBehind(snapshot: SchemaSnapshot, error: string): string[] {
  const name = /"([^"]+)"/.exec(error)?.[1];
  if (!name) return [];
  return [...snapshot.keys()].filter((key) => key.split(" ").slice(1).join(" ").split(".").pop() === name);
}

/** Why a version cannot be drilled before anything runs, or undefined. */
function skipReason(entry: LedgerEntry, catalog: Catalog): string | undefined {
  if (entry.rollbackScript === null) return "no rollback script was stored when it was applied";
  const migration = catalog.byVersion.get(entry.version);
  if (!migration) return `its file is no longer in ${catalog.dir}, so it cannot be applied again`;
  if (entry.checksum && entry.checksum !== migration.checksum) return "its file changed since it was applied, so applying it again would not replay what ran";
  return undefined;
}

/**
 * Runs the drill within `maxMs` (checked before each version: one that started finishes). Throws only when
 * the drill cannot run at all (no copy can be made); everything about a version is in its result.
 */
export async function drillRollbacks(
  environment: Environment,
  catalog: Catalog,
  options: { maxMs: number; onProgress?: ProgressListener; scratchDatabase?: string },
): Promise<DrillReport> {
  const started = Date.now();
  const deadline = started + options.maxMs;
  const ledger = await withLedgerClient(environment, (client) => readLedger(client, environment.ledgerSchema));
  const applied = [...ledger.values()].filter((entry) => entry.status === "applied").sort((a, b) => b.version.localeCompare(a.version));
  const versions: DrillVersion[] = [];
  const database = options.scratchDatabase ?? `rookery_drill_${randomBytes(6).toString("hex")}`;
  try {
    const url = await createScratchCopy(environment, database);
    await seedLedger(url, environment.ledgerSchema, applied);
    const scratch: Environment = { ...environment, name: `${environment.name}-drill`, databaseUrl: url, backup: false, autoRollback: undefined };
    const ctx = { environment: scratch, catalog, actor: DRILL_ACTOR };
    let stuck: string | undefined;
    // Objects a failed version's rollback left on the copy: older versions are compared without them.
    const tainted = new Set<string>();
    for (const entry of applied) {
      const at = Date.now();
      const result = (outcome: DrillVersion["outcome"], differences: string[], reason?: string): DrillVersion => ({
        version: entry.version,
        description: entry.description,
        outcome,
        differences,
        ...(reason ? { reason } : {}),
        durationMs: Date.now() - at,
      });
      if (stuck) {
        versions.push(result("not_reached", [], stuck));
        continue;
      }
      if (Date.now() >= deadline) {
        versions.push(result("not_reached", [], `not reached within maxMinutes (${Math.round(options.maxMs / 60_000)})`));
        continue;
      }
      const skip = skipReason(entry, catalog);
      if (skip) {
        versions.push(result("skipped", [], skip));
        continue;
      }
      await options.onProgress?.({ step: "rollback", version: entry.version, message: `drill: proving the rollback of ${entry.version} on a copy of ${environment.name}` });
      const applying = await withClient(url, snapshotSchema);
      try {
        await rollbackMigration(ctx, { version: entry.version, reason: "rookery drill: rollback, apply, rollback" });
      } catch (error) {
        versions.push(result("failed", [`the stored rollback of ${entry.version} fails on a copy of ${environment.name}: ${describeError(error)}`]));
        stuck = `the copy cannot get below ${entry.version}, whose rollback fails`;
        continue;
      }
      const before = await withClient(url, snapshotSchema);
      const again = await applyMigrations(ctx, { versions: [entry.version] });
      if (again.failed) {
        const left = leftBehind(before, again.failed.error);
        for (const key of left) tainted.add(key);
        const named = left.length > 0 ? `${left.join(", ")} remains after rollback: ` : "";
        versions.push(result("failed", [`${named}${entry.version} cannot be applied again after its rollback: ${again.failed.error}`]));
        continue;
      }
      // Applying again stored the file's rollback; the drill proves what production would run: the stored one.
      const reapplied = await withClient(url, async (client) => {
        await client.query(inLedgerSchema("UPDATE public.schema_migrations SET rollback_script = $2 WHERE version = $1", environment.ledgerSchema), [entry.version, entry.rollbackScript]);
        return snapshotSchema(client);
      });
      const differences = compareSnapshots(without(applying, tainted), without(reapplied, tainted), "after rollback and apply again");
      for (const key of differingKeys(applying, reapplied)) tainted.add(key);
      try {
        await rollbackMigration(ctx, { version: entry.version, reason: "rookery drill: rollback, apply, rollback" });
      } catch (error) {
        versions.push(result("failed", [...differences, `the rollback of ${entry.version} fails the second time: ${describeError(error)}`]));
        stuck = `the copy cannot get below ${entry.version}, whose rollback fails the second time`;
        continue;
      }
      const rolledBackAgain = await withClient(url, snapshotSchema);
      differences.push(...compareSnapshots(without(before, tainted), without(rolledBackAgain, tainted), "after the second rollback"));
      for (const key of differingKeys(before, rolledBackAgain)) tainted.add(key);
      versions.push(result(differences.length === 0 ? "proven" : "failed", differences));
    }
  } catch (error) {
    if (error instanceof RookeryError) throw error;
    throw new RookeryError(`the rollback drill of ${environment.name} could not run: ${describeError(error)}`, {
      hint: "The drill needs CREATEDB on the environment's server and pg_dump/psql on the PATH.",
      cause: error,
    });
  } finally {
    await dropScratch(environment, database).catch(() => {});
  }
  return { environment: environment.name, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, versions, counts: counts(versions) };
}

/** The report in a few lines: the counts, then each failure with its differences. */
export function describeDrill(report: DrillReport): string {
  const { proven, failed, skipped, notReached } = report.counts;
  const head = `rollback drill of ${report.environment}: proven ${proven}, failed ${failed}, skipped ${skipped} (no rollback or file changed)${notReached ? `, not reached ${notReached}` : ""}`;
  const failures = report.versions
    .filter((version) => version.outcome === "failed")
    .map((version) => `${version.version} (${version.description}): ${version.differences.join("; ")}`);
  return [head, ...failures].join("\n");
}
