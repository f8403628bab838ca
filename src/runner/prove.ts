import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Catalog } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { withClient } from "../db/index.ts";
import { RookeryError, UsageError } from "../errors.ts";
import { ensureLedger, inLedgerSchema } from "../ledger/index.ts";
import { pgToolConnection, runPgTool } from "./backup.ts";
import { applyMigrations, rollbackMigration } from "./index.ts";
import { completeExpansion } from "../expand/index.ts";
import { compareSnapshots, snapshotSchema } from "./schema-snapshot.ts";

export interface RollbackProof {
  version: string;
  ok: boolean;
  /** Each names an object and what is wrong with it: "column campaigns.priority remains after rollback". */
  differences: string[];
}

const PROVE_ACTOR = "rookery:prove";

function scratchUrl(targetUrl: string, database: string): string {
  const url = new URL(targetUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * A copy of the target's schema (no data) in a new database on the same server, with its grants and
 * owners, so a rollback that loses a grant (a view rebuilt without `GRANT SELECT ... TO app`) shows.
 * Roles are the server's, so they exist for the copy; a prover that may not give objects to their
 * owners gets a copy owned by itself instead (grants are still compared, ownership changes too).
 */
export async function createScratchCopy(environment: Environment, database: string): Promise<string> {
  const url = scratchUrl(environment.databaseUrl, database);
  const folder = mkdtempSync(path.join(tmpdir(), "rookery-prove-"));
  try {
    try {
      await copySchema(environment, database, url, path.join(folder, "schema.sql"), []);
    } catch {
      await dropScratch(environment, database);
      await copySchema(environment, database, url, path.join(folder, "schema-no-owner.sql"), ["--no-owner"]);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  return url;
}

async function copySchema(environment: Environment, database: string, url: string, dumpFile: string, options: string[]): Promise<void> {
  await withClient(environment.databaseUrl, (client) => client.query(`CREATE DATABASE "${database}" TEMPLATE template0`));
  const source = pgToolConnection(environment.databaseUrl);
  await runPgTool("pg_dump", ["--schema-only", ...options, "--no-password", `--file=${dumpFile}`, `--dbname=${source.dbname}`], source.env);
  const target = pgToolConnection(url);
  await runPgTool("psql", ["--no-psqlrc", "--quiet", "--no-password", "-v", "ON_ERROR_STOP=1", `--file=${dumpFile}`, `--dbname=${target.dbname}`], target.env);
}

export async function dropScratch(environment: Environment, database: string): Promise<void> {
  await withClient(environment.databaseUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
}

/** The proof replays the change on today's schema, which already holds an applied migration's change. */
async function refuseWhenApplied(environment: Environment, version: string): Promise<void> {
  const applied = await withClient(environment.databaseUrl, async (client) => {
    const ledger = await client.query(inLedgerSchema("SELECT to_regclass('public.schema_migrations') IS NOT NULL AS present", environment.ledgerSchema));
    if (ledger.rows[0]?.present !== true) return false;
    const { rowCount } = await client.query(inLedgerSchema("SELECT 1 FROM public.schema_migrations WHERE version = $1 AND status = 'applied'", environment.ledgerSchema), [version]);
    return (rowCount ?? 0) > 0;
  });
  if (applied) {
    throw new RookeryError(`${version} is already applied on ${environment.name}: a rollback is proven before applying`, {
      hint: "Prove it against an environment where it is still pending (staging, or a copy).",
    });
  }
}

/**
 * Proves on a scratch copy of the target's schema that apply then rollback leaves the schema exactly
 * as it was, and that the migration can be applied again afterwards. The scratch database is dropped
 * whatever happens. The target itself is only read (by pg_dump).
 */
export async function proveRollback(environment: Environment, catalog: Catalog, version: string, options: { scratchDatabase?: string } = {}): Promise<RollbackProof> {
  const migration = catalog.byVersion.get(version);
  if (!migration) throw new UsageError(`no migration ${version} in ${catalog.dir}`, { hint: "See `rookery plan` for the versions." });
  // Expand-contract (src/expand/): the rollback of an expanded version is its abort, which needs no file.
  if (!migration.rollback && !migration.expandContract) {
    return { version, ok: false, differences: [`${migration.path} has no rollback file beside it, so there is nothing to prove`] };
  }
  await refuseWhenApplied(environment, version);
  const database = options.scratchDatabase ?? `rookery_prove_${randomBytes(6).toString("hex")}`;
  try {
    const url = await createScratchCopy(environment, database);
    const scratch: Environment = { ...environment, name: `${environment.name}-scratch`, databaseUrl: url, backup: false };
    const ctx = { environment: scratch, catalog, actor: PROVE_ACTOR };
    const before = await withClient(url, async (client) => {
      // The ledger is the engine's, not the migration's: create it before the first snapshot.
      await ensureLedger(client, scratch.ledgerSchema);
      return snapshotSchema(client);
    });
    const differences: string[] = [];
    const first = await applyMigrations(ctx, { versions: [version] });
    if (first.failed) return { version, ok: false, differences: [`${version} does not apply on a copy of ${environment.name}'s schema: ${first.failed.error}`] };
    try {
      await rollbackMigration(ctx, { version, reason: "rookery prove: apply, rollback, apply" });
    } catch (error) {
      return { version, ok: false, differences: [`the rollback of ${version} fails: ${(error as Error).message}`] };
    }
    const after = await withClient(url, snapshotSchema);
    differences.push(...compareSnapshots(before, after, "after rollback"));
    const again = await applyMigrations(ctx, { versions: [version] });
    if (again.failed) differences.push(`${version} cannot be applied again after its rollback: ${again.failed.error}`);
    else if (migration.expandContract) {
      // Expand, abort (compared above), expand again, and the contract too.
      await completeExpansion(ctx, { version }).catch((error: unknown) => differences.push(`the complete of ${version} fails: ${(error as Error).message}`));
    }
    return { version, ok: differences.length === 0, differences };
  } catch (error) {
    if (error instanceof RookeryError) throw error;
    throw new RookeryError(`proving the rollback of ${version} could not run: ${(error as Error).message}`, {
      hint: "The proof needs CREATEDB on the target's server and pg_dump/psql on the PATH.",
      cause: error,
    });
  } finally {
    await dropScratch(environment, database).catch(() => {});
  }
}
