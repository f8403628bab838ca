import { RookeryError, UsageError } from "../errors.ts";
import { findForeignLedgers, readLedger, recordAdopted } from "../ledger/index.ts";
import { withRunnerSession } from "../session/session.ts";
import type { RunContext } from "../runner/types.ts";
import { dbmateSource } from "./sources/dbmate.ts";
import { flywaySource } from "./sources/flyway.ts";
import { golangMigrateSource } from "./sources/golang-migrate.ts";
import { gooseSource } from "./sources/goose.ts";
import { nodePgMigrateSource } from "./sources/node-pg-migrate.ts";
import type { ImportSource } from "./sources/source.ts";

/** The tools `rookery import --from` reads, one file each under src/adopt/sources/. */
export const IMPORT_SOURCES: Record<string, ImportSource> = Object.fromEntries(
  [golangMigrateSource, flywaySource, dbmateSource, gooseSource, nodePgMigrateSource].map((source) => [source.name, source]),
);

export interface ImportReport {
  environment: string;
  from: string;
  /** The other tool's table, read and left as it was. */
  table: string;
  /** Recorded in Rookery's ledger as applied, in version order. */
  imported: string[];
  /** Already in Rookery's ledger: left as they are. */
  alreadyRecorded: string[];
}

/**
 * `rookery import --from TOOL`: reads what TOOL recorded as applied (its table is only read) and
 * matches it to the folder's files in TOOL's layout, then writes Rookery's rows in one transaction
 * under the migration lock: applied time and who where the tool kept them, checksums and rollback
 * scripts of today's files, an `imported` event each. Afterwards `status` shows pending only what TOOL
 * never applied. Refused, with nothing written, when the folder is in another layout, when TOOL's
 * ledger is not here, when it recorded versions no file has, or when it is in a state TOOL itself
 * would refuse (golang-migrate dirty, Flyway failed rows).
 */
export async function importHistory(ctx: RunContext, options: { from: string; table?: string }): Promise<ImportReport> {
  const source = IMPORT_SOURCES[options.from];
  if (!source) {
    throw new UsageError(`rookery cannot import from "${options.from}"`, { hint: `--from takes ${Object.keys(IMPORT_SOURCES).join(", ")}.` });
  }
  if (ctx.catalog.layout !== source.layout) {
    throw new UsageError(`the migrations folder ${ctx.catalog.dir} is in the ${ctx.catalog.layout} layout, not ${source.layout}'s`, {
      hint: `Point --dir at the folder ${source.tool} runs, or set \`layout: ${source.layout}\`.`,
    });
  }
  return withRunnerSession(ctx, async (client) => {
    const all = (await findForeignLedgers(client)).filter((ledger) => ledger.tool === source.tool);
    // Several (one per schema, a service each): --table names the one this folder's history is in.
    const found = options.table === undefined ? all : all.filter((ledger) => ledger.table === options.table);
    if (found.length !== 1) {
      const named = all.map((ledger) => ledger.table).join(", ");
      throw new RookeryError(
        found.length > 1
          ? `there are ${found.length} ${source.tool} ledgers here: ${named}`
          : options.table !== undefined && all.length > 0
            ? `${options.table} is not a ${source.tool} ledger in this database (it has ${named})`
            : `there is no ${source.tool} ledger in this database`,
        { hint: all.length > 0 ? `Name the one to import with --table (${named}).` : "`rookery status` lists the migration tools' tables it finds." },
      );
    }
    const table = found[0]!.table;
    const history = await source.read(client, table, ctx.catalog);
    if (history.refusal) throw new RookeryError(`${history.refusal}; nothing was imported`, { hint: `Repair it with ${source.tool}, then import again.` });
    if (history.unmatched.length > 0) {
      throw new RookeryError(`${source.tool} recorded ${history.unmatched.length} version(s) that no file in ${ctx.catalog.dir} has: ${history.unmatched.slice(0, 10).join(", ")}; nothing was imported`, {
        hint: `Point --dir at the folder ${source.tool} ran these from.`,
      });
    }
    const schema = ctx.environment.ledgerSchema;
    const ledger = await readLedger(client, schema);
    const fresh = history.applied.filter((applied) => !ledger.has(applied.migration.version));
    const imported = await recordAdopted(
      client,
      schema,
      "imported",
      fresh.map(({ migration, appliedAt, appliedBy }) => ({
        version: migration.version,
        description: migration.description,
        checksum: migration.checksum,
        rollbackScript: migration.rollback?.sql ?? null,
        appliedAt,
        appliedBy,
      })),
      { actor: ctx.actor, reason: null, detail: { from: source.name, table } },
    );
    await ctx.onProgress?.({ step: "done", message: `${imported.length} version(s) imported from ${source.tool}'s ${table}` });
    return {
      environment: ctx.environment.name,
      from: source.name,
      table,
      imported,
      alreadyRecorded: history.applied.filter((applied) => ledger.has(applied.migration.version)).map((applied) => applied.migration.version),
    };
  });
}
