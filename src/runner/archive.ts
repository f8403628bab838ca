import pg from "pg";
import { scanSync, type Statement } from "../analysis/parse.ts";
import type { Migration } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { RookeryError } from "../errors.ts";
import { appliedRecordFor, MigrationStatementError, type ExecutionResult, type MigrationRun } from "../session/execution.ts";
import { withLockRetries } from "../session/retry.ts";
import { transactionTimeoutsSql } from "../session/timeouts.ts";

/**
 * The data-change archive: before an UPDATE or DELETE with a WHERE clause runs (in the migration's own
 * transaction), the rows it will touch are copied into `rookery_archive."<version>_<n>"`, so a rollback
 * of a data change puts them back without a full restore. A rollback script that says
 * `-- rookery:restore-archive` restores them before the rest of the script runs.
 *
 * Each archived row is one jsonb value (`row`), not a copy of the table's column types: a typed copy
 * would depend on the table's enums and domains, and a later migration that rebuilds the enum could
 * not drop the old type. Restoring reads the values back into the table's types of the day.
 * Only the newest `archiveKeep` versions keep their archive; older ones are dropped, and the registry
 * remembers that they were.
 */

export const ARCHIVE_SCHEMA = "rookery_archive";
export const RESTORE_ARCHIVE_MARKER = /^\s*--\s*rookery:restore-archive\b/im;

const ARCHIVE_REGISTRY = `
CREATE SCHEMA IF NOT EXISTS ${ARCHIVE_SCHEMA};
CREATE TABLE IF NOT EXISTS ${ARCHIVE_SCHEMA}.archives (
    version VARCHAR(50) NOT NULL,
    seq INTEGER NOT NULL,
    archive_table TEXT NOT NULL,
    source_schema TEXT NOT NULL,
    source_table TEXT NOT NULL,
    statement_kind TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (version, seq)
);
ALTER TABLE ${ARCHIVE_SCHEMA}.archives ADD COLUMN IF NOT EXISTS removed_at TIMESTAMPTZ;`;

interface RangeVar {
  schemaname?: string;
  relname: string;
  inh?: boolean;
  alias?: { aliasname: string };
}

export interface ArchivePlan {
  seq: number;
  statement: Statement;
  sourceSchema: string | undefined;
  sourceTable: string;
  /** SELECT of the rows the statement will touch, built from the statement's own text. */
  select: string;
}

interface Token {
  start: number;
  end: number;
  text: string;
}

/** Top-level keywords of a statement (outside parentheses), with their byte offsets. */
function topLevelTokens(sql: string): Token[] {
  let depth = 0;
  const tokens: Token[] = [];
  for (const token of scanSync(sql).tokens) {
    if (token.text === "(") depth++;
    else if (token.text === ")") depth--;
    else if (depth === 0) tokens.push({ start: token.start, end: token.end, text: token.text.toUpperCase() });
  }
  return tokens;
}

function slice(sql: string, from: number, to?: number): string {
  return Buffer.from(sql, "utf8").subarray(from, to).toString("utf8").trim();
}

function relationText(relation: RangeVar): string {
  const name = relation.schemaname
    ? `${pg.escapeIdentifier(relation.schemaname)}.${pg.escapeIdentifier(relation.relname)}`
    : pg.escapeIdentifier(relation.relname);
  // The parse tree leaves out false fields: no `inh` means ONLY.
  return `${relation.inh !== true ? "ONLY " : ""}${name}${relation.alias ? ` AS ${pg.escapeIdentifier(relation.alias.aliasname)}` : ""}`;
}

/**
 * For `[WITH ...] UPDATE t [AS a] SET ... [FROM ...] WHERE cond [RETURNING ...]` (or DELETE ... USING),
 * the rows of t it touches: `[WITH ...] SELECT a.* FROM t AS a [, ...] WHERE cond`.
 */
function archiveSelect(statement: Statement): string | undefined {
  const node = statement.node as { relation?: RangeVar; whereClause?: { CurrentOfExpr?: unknown }; withClause?: unknown };
  if (!node.relation || !node.whereClause || node.whereClause.CurrentOfExpr) return undefined;
  const verb = statement.kind === "UpdateStmt" ? "UPDATE" : "DELETE";
  const joinWord = statement.kind === "UpdateStmt" ? "FROM" : "USING";
  const tokens = topLevelTokens(statement.sql);
  const verbAt = tokens.findIndex((token) => token.text === verb);
  const whereAt = tokens.findIndex((token, index) => index > verbAt && token.text === "WHERE");
  if (verbAt === -1 || whereAt === -1) return undefined;
  // UPDATE's own FROM comes after SET; DELETE FROM t is the target, USING lists the others.
  const setAt = tokens.findIndex((token, index) => index > verbAt && token.text === "SET");
  const joinAt = tokens.findIndex(
    (token, index) => index > (statement.kind === "UpdateStmt" ? setAt : verbAt) && index < whereAt && token.text === joinWord,
  );
  const returningAt = tokens.findIndex((token, index) => index > whereAt && token.text === "RETURNING");
  const withAt = node.withClause ? tokens.findIndex((token) => token.text === "WITH") : -1;
  const withPrefix = withAt === -1 ? "" : slice(statement.sql, tokens[withAt]!.start, tokens[verbAt]!.start);
  const others = joinAt === -1 ? "" : `, ${slice(statement.sql, tokens[joinAt]!.end, tokens[whereAt]!.start)}`;
  const where = slice(statement.sql, tokens[whereAt]!.end, returningAt === -1 ? undefined : tokens[returningAt]!.start);
  const target = pg.escapeIdentifier(node.relation.alias?.aliasname ?? node.relation.relname);
  // A join can match a row more than once; a partitioned table repeats ctids across partitions.
  const distinct = others ? `DISTINCT ON (${target}.tableoid, ${target}.ctid) ` : "";
  return `${withPrefix ? `${withPrefix} ` : ""}SELECT ${distinct}to_jsonb(${target}.*) AS "row" FROM ${relationText(node.relation)}${others} WHERE ${where}`;
}

/** The data-only statements of a migration whose rows can be archived before they run. */
export function planArchives(statements: Statement[]): ArchivePlan[] {
  const plans: ArchivePlan[] = [];
  for (const statement of statements) {
    if (statement.kind !== "UpdateStmt" && statement.kind !== "DeleteStmt") continue;
    const select = archiveSelect(statement);
    const relation = (statement.node as { relation: RangeVar }).relation;
    if (select) plans.push({ seq: plans.length + 1, statement, sourceSchema: relation.schemaname, sourceTable: relation.relname, select });
  }
  return plans;
}

function archiveTable(version: string, seq: number): string {
  return `${version}_${seq}`;
}

/** Where backups are on, a file with UPDATE/DELETE ... WHERE runs through the archive (executeWithArchive). */
export function archivesDataChanges(environment: Environment, statements: Statement[]): boolean {
  return environment.backup && planArchives(statements).length > 0;
}

/** Drops the archives of all but the newest `keep` versions; their registry rows stay, marked removed. */
async function pruneArchives(client: pg.ClientBase, keep: number): Promise<void> {
  const { rows } = await client.query<{ archive_table: string }>(
    `UPDATE ${ARCHIVE_SCHEMA}.archives SET removed_at = now()
     WHERE removed_at IS NULL AND version NOT IN (
       SELECT version FROM ${ARCHIVE_SCHEMA}.archives WHERE removed_at IS NULL GROUP BY version ORDER BY max(created_at) DESC, version DESC LIMIT $1)
     RETURNING archive_table`,
    [keep],
  );
  for (const row of rows) await client.query(`DROP TABLE IF EXISTS ${ARCHIVE_SCHEMA}.${pg.escapeIdentifier(row.archive_table)}`);
}

/**
 * Runs the statements inside the caller's transaction one by one, archiving the rows of each
 * UPDATE/DELETE first. A re-apply after a rollback replaces that version's earlier archive.
 */
export async function runWithArchive(client: pg.ClientBase, migration: Migration, statements: Statement[], archiveKeep = Infinity): Promise<{ table: string; rows: number }[]> {
  const plans = planArchives(statements);
  await client.query(ARCHIVE_REGISTRY);
  await client.query(`DELETE FROM ${ARCHIVE_SCHEMA}.archives WHERE version = $1`, [migration.version]);
  const archived: { table: string; rows: number }[] = [];
  for (const statement of statements) {
    const plan = plans.find((candidate) => candidate.statement === statement);
    if (plan) {
      const table = archiveTable(migration.version, plan.seq);
      const qualified = `${ARCHIVE_SCHEMA}.${pg.escapeIdentifier(table)}`;
      await client.query(`DROP TABLE IF EXISTS ${qualified}`);
      const result = await client.query(`CREATE TABLE ${qualified} AS ${plan.select}`);
      const sourceSchema = plan.sourceSchema ?? (await client.query<{ schema: string }>(
        "SELECT n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)",
        [pg.escapeIdentifier(plan.sourceTable)],
      )).rows[0]?.schema ?? "public";
      await client.query(
        `INSERT INTO ${ARCHIVE_SCHEMA}.archives (version, seq, archive_table, source_schema, source_table, statement_kind, row_count)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [migration.version, plan.seq, table, sourceSchema, plan.sourceTable, plan.statement.kind === "UpdateStmt" ? "update" : "delete", result.rowCount ?? 0],
      );
      archived.push({ table: `${ARCHIVE_SCHEMA}.${table}`, rows: result.rowCount ?? 0 });
      if (plan.seq === 1 && Number.isFinite(archiveKeep)) await pruneArchives(client, archiveKeep);
    }
    try {
      await client.query(statement.sql);
    } catch (error) {
      if ((error as { code?: string }).code === "55P03") throw error;
      throw new MigrationStatementError(error, { sqlstate: (error as { code?: string }).code, line: statement.line });
    }
  }
  return archived;
}

/**
 * The executor of a data change where backups are on: the file's own transaction holds the archive
 * copies, the statements, the ledger row and the event, so the archive exists exactly when the change does.
 */
export async function executeWithArchive(run: MigrationRun): Promise<ExecutionResult> {
  const { client, context, migration, statements } = run;
  let lockRetries = 0;
  await withLockRetries(context.environment, { version: migration.version, onProgress: context.onProgress }, async (retry) => {
    lockRetries = retry;
    await client.query(`BEGIN; ${transactionTimeoutsSql(context.environment)}`);
    try {
      const archived = await runWithArchive(client, migration, statements, context.environment.archiveKeep);
      await client.query(
        appliedRecordFor(run, { lockRetries: retry, outsideTransaction: false, archived }),
      );
      await client.query("COMMIT");
      await context.onProgress?.({
        step: "backup",
        version: migration.version,
        message: `${migration.version}: ${archived.map((each) => `${each.rows} row(s) archived in ${each.table}`).join(", ")}`,
        detail: { archived },
      });
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      if ((error as { code?: string }).code === "55P03" || error instanceof MigrationStatementError) throw error;
      throw new MigrationStatementError(error, { sqlstate: (error as { code?: string }).code });
    }
  });
  return { outsideTransaction: false, lockRetries };
}

export function wantsArchiveRestore(rollbackSql: string | null | undefined): boolean {
  return rollbackSql ? RESTORE_ARCHIVE_MARKER.test(rollbackSql) : false;
}

interface ArchiveRow {
  archive_table: string;
  source_schema: string;
  source_table: string;
  statement_kind: string;
  removed_at: Date | null;
}

async function keyColumns(client: pg.ClientBase, source: string): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index x
     JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY (x.indkey)
     WHERE x.indrelid = $1::regclass AND x.indisprimary ORDER BY array_position(x.indkey, a.attnum)`,
    [source],
  );
  return rows.map((row) => row.name);
}

/** An archive of rows as jsonb (this version's); archives made before it copied the table's columns. */
async function holdsJsonRows(client: pg.ClientBase, archive: string): Promise<boolean> {
  const { rows } = await client.query<{ json: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'row' AND atttypid = 'jsonb'::regtype AND NOT attisdropped) AS json`,
    [archive],
  );
  return rows[0]?.json === true;
}

/** Columns the archive and the table still share, minus generated ones (Postgres computes those). */
async function sharedColumns(client: pg.ClientBase, source: string, archive: string, json: boolean): Promise<string[]> {
  const inArchive = json
    ? `EXISTS (SELECT 1 FROM ${archive} x WHERE x."row" ? a.attname)`
    : "EXISTS (SELECT 1 FROM pg_attribute b WHERE b.attrelid = $2::regclass AND b.attname = a.attname AND NOT b.attisdropped)";
  const { rows } = await client.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_attribute a
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND ${inArchive}
     ORDER BY a.attnum`,
    json ? [source] : [source, archive],
  );
  return rows.map((row) => row.name);
}

/**
 * Puts the archived rows of a version back, newest statement first: deleted rows are inserted again,
 * updated rows get their old values back (matched on the primary key). Runs in the caller's transaction.
 */
export async function restoreArchive(client: pg.ClientBase, version: string): Promise<{ table: string; rows: number }[]> {
  const registry = await client.query("SELECT to_regclass('rookery_archive.archives') IS NOT NULL AS present");
  if (registry.rows[0]?.present !== true) return [];
  await client.query(ARCHIVE_REGISTRY);
  const { rows } = await client.query<ArchiveRow>(
    `SELECT archive_table, source_schema, source_table, statement_kind, removed_at FROM ${ARCHIVE_SCHEMA}.archives WHERE version = $1 ORDER BY seq DESC`,
    [version],
  );
  const removed = rows.find((row) => row.removed_at !== null);
  if (removed) {
    throw new RookeryError(`the rows ${version} changed can no longer be restored: its archive was removed on ${removed.removed_at!.toISOString()} (only the newest archiveKeep versions keep theirs)`, {
      hint: "Restore the rows from the pre-apply backup (rookery backup list), or roll back without -- rookery:restore-archive.",
    });
  }
  const restored: { table: string; rows: number }[] = [];
  for (const row of rows) {
    const source = `${pg.escapeIdentifier(row.source_schema)}.${pg.escapeIdentifier(row.source_table)}`;
    const archive = `${ARCHIVE_SCHEMA}.${pg.escapeIdentifier(row.archive_table)}`;
    const json = await holdsJsonRows(client, archive);
    const columns = await sharedColumns(client, source, archive, json);
    const keys = await keyColumns(client, source);
    if (keys.length === 0 && row.statement_kind === "update") {
      throw new RookeryError(`cannot restore the rows archived from ${source} by ${version}: the table has no primary key to match them on`, {
        hint: `Write the restore into the rollback script by hand, reading ${archive}.`,
      });
    }
    const list = columns.map((column) => pg.escapeIdentifier(column)).join(", ");
    const updates = columns.filter((column) => !keys.includes(column)).map((column) => `${pg.escapeIdentifier(column)} = EXCLUDED.${pg.escapeIdentifier(column)}`);
    const conflict =
      keys.length === 0
        ? ""
        : ` ON CONFLICT (${keys.map((key) => pg.escapeIdentifier(key)).join(", ")}) ${updates.length ? `DO UPDATE SET ${updates.join(", ")}` : "DO NOTHING"}`;
    const rowsOf = json ? `${archive} a, jsonb_populate_record(NULL::${source}, a."row") r` : archive;
    const picked = json ? columns.map((column) => `r.${pg.escapeIdentifier(column)}`).join(", ") : list;
    const result = await client.query(`INSERT INTO ${source} (${list}) OVERRIDING SYSTEM VALUE SELECT ${picked} FROM ${rowsOf}${conflict}`);
    restored.push({ table: `${row.source_schema}.${row.source_table}`, rows: result.rowCount ?? 0 });
  }
  return restored;
}
