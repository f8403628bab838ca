import { RookeryError } from "../errors.ts";
import { readLedger, recordAdopted } from "../ledger/index.ts";
import { UnknownVersionError } from "../runner/errors.ts";
import { withRunnerSession } from "../session/session.ts";
import type { RunContext } from "../runner/types.ts";

export interface BaselineReport {
  environment: string;
  version: string;
  /** Recorded as applied now, without running them, in version order. */
  baselined: string[];
  /** Already applied here: left as they are. */
  alreadyApplied: string[];
}

/**
 * `rookery baseline VERSION` (Flyway's baseline, Liquibase's changelog-sync): every migration of
 * the folder up to and including VERSION that the ledger does not have is recorded as applied
 * without running it, with its checksum and rollback script, one `baselined` event each, in one
 * transaction under the migration lock. For a database that already has that schema (built by
 * hand, or by another tool whose ledger cannot be imported), so `apply --all` runs only what is newer.
 * A version that failed or was rolled back here is refused: the database does not have it.
 */
export async function baselineMigrations(ctx: RunContext, options: { version: string; reason?: string }): Promise<BaselineReport> {
  if (!ctx.catalog.byVersion.has(options.version)) throw new UnknownVersionError(options.version, ctx.catalog.dir);
  return withRunnerSession(ctx, async (client) => {
    const schema = ctx.environment.ledgerSchema;
    const ledger = await readLedger(client, schema);
    const upTo = ctx.catalog.migrations.filter((migration) => migration.version <= options.version);
    const undone = upTo.filter((migration) => ["failed", "rolled_back"].includes(ledger.get(migration.version)?.status ?? ""));
    if (undone.length > 0) {
      const list = undone.map((migration) => `${migration.version} (${ledger.get(migration.version)!.status.replace("_", " ")})`).join(", ");
      throw new RookeryError(`cannot baseline over versions Rookery ran here and that did not stay applied: ${list}; nothing was recorded`, {
        hint: "Apply them (`rookery apply VERSION`), or baseline to a version before them.",
      });
    }
    const todo = upTo.filter((migration) => !ledger.has(migration.version));
    const baselined = await recordAdopted(
      client,
      schema,
      "baselined",
      todo.map((migration) => ({
        version: migration.version,
        description: migration.description,
        checksum: migration.checksum,
        rollbackScript: migration.rollback?.sql ?? null,
        appliedAt: null,
        appliedBy: null,
      })),
      { actor: ctx.actor, reason: options.reason ?? null, detail: { baseline: options.version } },
    );
    await ctx.onProgress?.({ step: "done", message: `${baselined.length} version(s) up to ${options.version} recorded as applied without running them` });
    return {
      environment: ctx.environment.name,
      version: options.version,
      baselined,
      alreadyApplied: upTo.filter((migration) => ledger.has(migration.version)).map((migration) => migration.version),
    };
  });
}
