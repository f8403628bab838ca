import pg from "pg";
import { inLedgerSchema } from "./place.ts";

/**
 * Reads and writes of ledger rows and history events. Values that can come from a person (actor,
 * reason) are always bound parameters. The ledger writer reads the actor from the session's
 * `rookery.actor` setting, so the success path can write its ledger row in the same round trip as the
 * migration itself: the runner's session gets it in its startup packet (src/session/session.ts), or
 * from `bindActor` where a pooler did not pass that on.
 */

export const ACTOR_SETTING = "rookery.actor";

/**
 * The actor as the ledger keeps it: `applied_by` is VARCHAR(100) in the document's table, 100
 * characters (code points, as Postgres counts them, so a pair is never cut in two); a NUL, which no
 * Postgres text holds nor a startup packet carries, is dropped.
 */
export function fitActor(actor: string): string {
  return Array.from(actor.replaceAll("\0", "")).slice(0, 100).join("");
}

export async function bindActor(client: pg.ClientBase, actor: string): Promise<void> {
  await client.query("SELECT set_config($1, $2, false)", [ACTOR_SETTING, fitActor(actor)]);
}

/** The document's schema_migrations.status. */
export type LedgerStatus = "applied" | "rolled_back" | "failed";

/** One row of schema_migrations, as the engine reads it. */
export interface LedgerRow {
  version: string;
  description: string;
  appliedAt: string;
  appliedBy: string;
  status: LedgerStatus;
  checksum: string | null;
  hasRollback: boolean;
}

export interface LedgerEntry extends LedgerRow {
  rollbackScript: string | null;
}

interface LedgerRecord {
  version: string;
  description: string;
  applied_at: Date | null;
  applied_by: string;
  status: LedgerStatus;
  checksum: string | null;
  rollback_script: string | null;
}

function toEntry(row: LedgerRecord): LedgerEntry {
  return {
    version: row.version,
    description: row.description,
    appliedAt: row.applied_at ? row.applied_at.toISOString() : "",
    appliedBy: row.applied_by,
    status: row.status,
    checksum: row.checksum,
    hasRollback: row.rollback_script !== null,
    rollbackScript: row.rollback_script,
  };
}

const LEDGER_COLUMNS = "version, description, applied_at, applied_by, status, checksum, rollback_script";
const SELECT_LEDGER = `SELECT ${LEDGER_COLUMNS} FROM public.schema_migrations`;
/** The rollback safety check beside each row: applied less than an hour ago, by the server's clock. */
const SELECT_LEDGER_FOR_ROLLBACK = `SELECT ${LEDGER_COLUMNS}, applied_at > NOW() - INTERVAL '1 hour' AS recent FROM public.schema_migrations`;

export async function readLedger(client: pg.ClientBase, schema: string): Promise<Map<string, LedgerEntry>> {
  const { rows } = await client.query<LedgerRecord>(inLedgerSchema(`${SELECT_LEDGER} ORDER BY version`, schema));
  return new Map(rows.map((row) => [row.version, toEntry(row)]));
}

export async function readLedgerEntry(client: pg.ClientBase, schema: string, version: string, lock = false): Promise<LedgerEntry | undefined> {
  const { rows } = await client.query<LedgerRecord>(inLedgerSchema(`${SELECT_LEDGER} WHERE version = $1${lock ? " FOR UPDATE" : ""}`, schema), [version]);
  return rows[0] ? toEntry(rows[0]) : undefined;
}

/** A ledger row as a rollback judges it: applied less than an hour ago (`recent`) calls for caution. */
export interface RollbackLedgerEntry extends LedgerEntry {
  recent: boolean;
}

function toRollbackEntry(row: LedgerRecord & { recent: boolean | null }): RollbackLedgerEntry {
  return { ...toEntry(row), recent: row.recent === true };
}

/** The whole ledger for a run of rollbacks, in one read: taken under the migration lock, only the run itself changes it. */
export async function readLedgerForRollback(client: pg.ClientBase, schema: string): Promise<Map<string, RollbackLedgerEntry>> {
  const { rows } = await client.query<LedgerRecord & { recent: boolean | null }>(inLedgerSchema(`${SELECT_LEDGER_FOR_ROLLBACK} ORDER BY version`, schema));
  return new Map(rows.map((row) => [row.version, toRollbackEntry(row)]));
}

export async function readLedgerEntryForRollback(client: pg.ClientBase, schema: string, version: string, lock = false): Promise<RollbackLedgerEntry | undefined> {
  const { rows } = await client.query<LedgerRecord & { recent: boolean | null }>(
    inLedgerSchema(`${SELECT_LEDGER_FOR_ROLLBACK} WHERE version = $1${lock ? " FOR UPDATE" : ""}`, schema),
    [version],
  );
  return rows[0] ? toRollbackEntry(rows[0]) : undefined;
}

export interface AppliedRecord {
  version: string;
  description: string;
  checksum: string;
  rollbackScript: string | null;
  detail: Record<string, unknown>;
  /** The server process that took the migration lock (`acquireMigrationLock`). */
  lockPid: number;
}

/**
 * The ledger writes of a successful apply, as SQL text to run inside the migration's own transaction
 * in the same round trip. Every value here comes from the migration files being run (their text is
 * executed anyway) or from Rookery itself; the actor from the session's rookery.actor setting. It
 * first checks that this transaction runs on the server process that holds the migration lock.
 */
export function appliedRecordSql(record: AppliedRecord, schema: string): string {
  const literal = pg.escapeLiteral;
  const rollback = record.rollbackScript === null ? "NULL" : literal(record.rollbackScript);
  return `
SELECT ${inLedgerSchema("public.", schema)}rookery_record_applied(${Math.trunc(record.lockPid)}, ${literal(record.version)}, ${literal(record.description)}, ${rollback}, ${literal(record.checksum)}, ${literal(JSON.stringify(record.detail))});`;
}

export interface FailedRecord {
  version: string;
  description: string;
  checksum: string;
  rollbackScript: string | null;
  actor: string;
  error: string;
  detail: Record<string, unknown>;
}

/**
 * Records a failed apply in a transaction of its own, after the migration's transaction was rolled
 * back, so the record persists. A failed version stays re-appliable (the row is upserted again).
 */
export async function recordFailure(client: pg.ClientBase, schema: string, record: FailedRecord): Promise<void> {
  await client.query(
    inLedgerSchema(`WITH row AS (SELECT public.rookery_record_migration($1, $2, $3, $4, $5, 'failed'))
     INSERT INTO public.migration_events (migration_type, version, event, actor, success, error_message, detail)
     SELECT 'apply', $1, 'failed', $5, FALSE, $6, $7::jsonb FROM row`, schema),
    [record.version, record.description, record.rollbackScript, record.checksum, fitActor(record.actor), record.error, JSON.stringify(record.detail)],
  );
}

export interface RollbackRecord {
  version: string;
  actor: string;
  reason: string;
  detail: Record<string, unknown>;
}

/** The newest version still applied once `$1` is rolled back: schema_version's current version. */
const CURRENT_AFTER_SQL = "(SELECT max(version) FROM public.schema_migrations WHERE status = 'applied' AND version <> $1)";

/**
 * The ledger writes of a successful rollback, inside its transaction, with the actor and the reason
 * as bound parameters. Returns the `rolled_back` event's id: the later versions of a run copy their
 * actor and reason from it (`rollbackCopiedRecordSql`), so a person's text is bound once per run.
 */
export async function recordRollback(client: pg.ClientBase, schema: string, record: RollbackRecord): Promise<number | undefined> {
  // The writes are rookery_record_rolled_back's; its lock check is the caller's here (the run checked the lock, or holds the contract's).
  const call = `SELECT public.rookery_record_rolled_back(pg_backend_pid(), $1::text, $2, $3, ${CURRENT_AFTER_SQL.replace("$1", "$1::text")}, $4::jsonb) AS id`;
  const { rows } = await client.query<{ id: string | null }>(inLedgerSchema(call, schema), [
    record.version,
    fitActor(record.actor),
    record.reason,
    JSON.stringify(record.detail),
  ]);
  return rows[0]?.id ? Number(rows[0].id) : undefined;
}

/**
 * The same writes as SQL text, to end the rollback's own round trip: one call of
 * `rookery_record_rolled_back` (src/ledger/functions/record-rolled-back.ts), whose plans the session
 * keeps, and which checks that the transaction runs on the server process that holds the migration
 * lock (`lockPid`). The actor and the reason are copied from the run's earlier `rolled_back` event
 * `reasonEventId` (written by `recordRollback`, bound), never written into the SQL; the version and the
 * detail are Rookery's own, as literals. A run that holds the lock knows the newest version still
 * applied after this one (`currentAfter`, null for none): it is written as it is, instead of asking for
 * `max(version)` again (a quarter of a millisecond each).
 */
export function rollbackCopiedRecordSql(
  record: { version: string; detail: Record<string, unknown>; currentAfter?: string | null; lockPid: number },
  reasonEventId: number,
  schema: string,
): string {
  const version = pg.escapeLiteral(record.version);
  const currentAfter = record.currentAfter === undefined
    ? CURRENT_AFTER_SQL.replace("$1", version)
    : record.currentAfter === null ? "NULL" : pg.escapeLiteral(record.currentAfter);
  const call = `SELECT public.rookery_record_rolled_back(${Math.trunc(record.lockPid)}, ${version}, who.actor, who.reason, ${currentAfter}, ${pg.escapeLiteral(JSON.stringify(record.detail))}::jsonb)
     FROM public.migration_events who WHERE who.id = ${Math.trunc(reasonEventId)}`;
  return `\n${inLedgerSchema(call, schema)};`;
}

/** Beside `rolled_back`, in the same transaction: the rollback was automatic, and `detail` says which check set it off and its value. */
export async function recordAutoRollback(client: pg.ClientBase, schema: string, record: RollbackRecord): Promise<void> {
  await client.query(
    inLedgerSchema(`INSERT INTO public.migration_events (migration_type, version, event, actor, reason, success, detail)
     VALUES ('rollback', $1, 'auto_rolled_back', $2, $3, TRUE, $4::jsonb)`, schema),
    [record.version, fitActor(record.actor), record.reason, JSON.stringify(record.detail)],
  );
}

/** A failed rollback, recorded after its transaction was rolled back: an event and a critical notification. */
export async function recordRollbackFailure(client: pg.ClientBase, schema: string, record: RollbackRecord & { error: string }): Promise<void> {
  await client.query(
    inLedgerSchema(`WITH event AS (
       INSERT INTO public.migration_events (migration_type, version, event, actor, reason, success, error_message, detail)
       VALUES ('rollback', $1, 'rollback_failed', $2, $3, FALSE, $5, $4::jsonb)
     )
     INSERT INTO public.system_notifications (category, title, message, severity, metadata)
     VALUES ('migration', 'Rollback Failed', format('Rollback of migration %s failed: %s', $1::text, $5::text), 'critical',
             jsonb_build_object('version', $1::text, 'error', $5::text, 'rollback_failed_at', NOW()))`, schema),
    [record.version, fitActor(record.actor), record.reason, JSON.stringify(record.detail), record.error],
  );
}
