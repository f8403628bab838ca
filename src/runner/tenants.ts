import type pg from "pg";
import type { Migration } from "../catalog/index.ts";
import { withServerBudget } from "../db/index.ts";
import { RookeryError } from "../errors.ts";
import { assertTenantIsolation, tenantRoleSql } from "./tenant-isolation.ts";
import { inLedgerSchema } from "../ledger/index.ts";
import { LEDGER_WRITER_SQL, MigrationStatementError, recordAppliedOnItsOwn, type ExecutionResult, type FailureDetail, type MigrationRun } from "../session/execution.ts";
import { LockRetriesExhausted, withLockRetries } from "../session/retry.ts";
import { statementsBudgetMs, transactionTimeoutsSql } from "../session/timeouts.ts";

/** Tenants per transaction: small enough that a failure loses little work, large enough to keep commits few. */
export const TENANT_BATCH_SIZE = 25;

/** `-- rookery:tenant-scoped batch-size=N` in the header overrides the batch size for one file. */
const BATCH_SIZE_HEADER = /^--\s*rookery:tenant-scoped\b.*\bbatch-size=(\d+)/im;

/** The document's tenant_context column is a uuid; tenants keyed otherwise are named in detail only. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function tenantBatchSize(migration: Migration): number {
  const size = Number(BATCH_SIZE_HEADER.exec(migration.sql)?.[1] ?? TENANT_BATCH_SIZE);
  return size >= 1 ? size : TENANT_BATCH_SIZE;
}

export interface TenantFailureDetail extends FailureDetail {
  failedTenant: string;
  /** Tenants whose batches committed, by this run or an earlier one: a re-apply skips them. */
  doneTenants: string[];
}

/**
 * A tenant-scoped migration that stopped. Its detail (failed tenant, done tenants) goes into the
 * 'failed' event the engine records, so the ledger tells which tenants are done.
 */
export class TenantMigrationError extends MigrationStatementError {
  declare readonly detail: TenantFailureDetail;

  constructor(version: string, failedTenant: string, doneTenants: string[], cause: unknown) {
    const done = doneTenants.length ? ` (${abbreviate(doneTenants)})` : "";
    const summary =
      `${version} failed for tenant ${failedTenant}: ${(cause as Error).message}. ` +
      `${doneTenants.length} tenant(s) are done${done}; the failing batch was undone, and applying ${version} again continues with the others`;
    const detail: TenantFailureDetail = { sqlstate: (cause as { code?: string }).code, failedTenant, doneTenants };
    super(new Error(summary, { cause }), detail);
  }
}

function abbreviate(ids: string[]): string {
  return ids.length <= 5 ? ids.join(", ") : `${ids.slice(0, 5).join(", ")} and ${ids.length - 5} more`;
}

async function tenantIds(client: pg.ClientBase, version: string): Promise<string[]> {
  const present = await client.query("SELECT to_regclass('tenants') IS NOT NULL AS present");
  if (present.rows[0]?.present !== true) {
    throw new RookeryError(`${version} is tenant-scoped but the database has no tenants table`, {
      hint: "A `-- rookery:tenant-scoped` file runs once per row of `tenants` (column id); remove the header or create the table first.",
    });
  }
  const { rows } = await client.query<{ id: string }>("SELECT id::text AS id FROM tenants ORDER BY id");
  return rows.map((row) => row.id);
}

/**
 * Tenants done since the version was last applied or rolled back as a whole: a run that stopped on a
 * failure is continued, a run after a rollback starts again from the first tenant.
 */
async function doneTenants(client: pg.ClientBase, schema: string, version: string): Promise<Map<string, string | null>> {
  const { rows } = await client.query<{ tenant: string; checksum: string | null }>(
    inLedgerSchema(`SELECT detail->>'tenantId' AS tenant, detail->>'checksum' AS checksum FROM public.migration_events
     WHERE version = $1 AND event = 'tenant_applied'
       AND id > COALESCE((SELECT max(id) FROM public.migration_events WHERE version = $1 AND event IN ('applied', 'rolled_back')), 0)`, schema),
    [version],
  );
  return new Map(rows.map((row) => [row.tenant, row.checksum]));
}

/**
 * A run that continues after a failure must run the text the done tenants ran: a file edited in
 * between would leave tenants 1-4 on the old text and 5-8 on the new, silently. Refused until the
 * file is put back; a different change is a new migration.
 */
function assertSameTextAsDoneTenants(migration: Migration, done: Map<string, string | null>): void {
  const ranOther = [...done].filter(([, checksum]) => checksum !== migration.checksum);
  if (ranOther.length === 0) return;
  const earlier = ranOther[0]![1];
  throw new RookeryError(
    `${migration.path} changed after ${ranOther.length} tenant(s) ran it (${abbreviate(ranOther.map(([tenant]) => tenant))}): ` +
      `they ran checksum ${earlier?.slice(0, 12) ?? "unknown"}, the file now has ${migration.checksum.slice(0, 12)}; continuing would run two texts on one version, so no tenant was run`,
    {
      hint:
        `Put the file back as those tenants ran it (git log ${migration.path}) and apply again to finish the other tenants; ` +
        "write the new change as a migration of its own.",
    },
  );
}

/** Rows changed by the file's INSERT/UPDATE/DELETE/MERGE statements (a multi-statement file yields one result each). */
function affectedRows(result: pg.QueryResult | pg.QueryResult[]): number {
  const results = Array.isArray(result) ? result : [result];
  return results
    .filter((each) => ["INSERT", "UPDATE", "DELETE", "MERGE"].includes(each.command))
    .reduce((sum, each) => sum + (each.rowCount ?? 0), 0);
}

/** One batch, one transaction: each tenant's run and its event commit together or not at all. */
async function runBatch(run: MigrationRun, batch: string[]): Promise<number> {
  const { client, context, migration } = run;
  let tenantsDone = 0;
  const asTenantRole = tenantRoleSql(context.environment);
  await client.query(`BEGIN; ${transactionTimeoutsSql(context.environment)}`);
  try {
    for (const tenantId of batch) {
      await client.query("SELECT set_config('app.current_tenant_id', $1, true)", [tenantId]);
      if (asTenantRole) await client.query(asTenantRole);
      let rows: number;
      try {
        rows = affectedRows(await withServerBudget(client, statementsBudgetMs(context.environment, run.statements.length), () => client.query(migration.sql)));
      } catch (error) {
        throw Object.assign(error as Error, { tenantId });
      }
      await client.query(LEDGER_WRITER_SQL);
      await client.query(
        inLedgerSchema(`INSERT INTO public.migration_events (version, event, actor, detail, migration_type, affected_tenants, tenant_context, success)
         VALUES ($1, 'tenant_applied', $2, $3, 'tenant_safe', 1, $4, true)`, context.environment.ledgerSchema),
        [migration.version, context.actor, JSON.stringify({ tenantId, affectedRows: rows, checksum: migration.checksum }), UUID.test(tenantId) ? tenantId : null],
      );
      tenantsDone++;
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
  return tenantsDone;
}

/**
 * The executor of a `-- rookery:tenant-scoped` file: once per tenant of the `tenants` table, with
 * `app.current_tenant_id` set (so row level security policies and the file itself see one tenant), as
 * the environment's tenantRole when there is one, once row level security is known to apply, in
 * batches of one transaction each, every tenant recorded with its affected rows. A batch that waits too
 * long for a lock is retried like any migration. On a failure the failing batch is undone and a
 * TenantMigrationError names the done tenants; the ledger row is written once every tenant is done.
 */
export async function applyTenantScoped(run: MigrationRun): Promise<ExecutionResult> {
  const { client, context, migration } = run;
  const all = await tenantIds(client, migration.version);
  await assertTenantIsolation(client, context.environment, migration, run.statements);
  const done = await doneTenants(client, run.context.environment.ledgerSchema, migration.version);
  assertSameTextAsDoneTenants(migration, done);
  const doneIds = all.filter((id) => done.has(id));
  const todo = all.filter((id) => !done.has(id));
  const batchSize = tenantBatchSize(migration);
  let lockRetries = 0;
  for (let start = 0; start < todo.length; start += batchSize) {
    const batch = todo.slice(start, start + batchSize);
    try {
      await withLockRetries(context.environment, { version: migration.version, onProgress: context.onProgress }, async (retry) => {
        lockRetries += retry > 0 ? 1 : 0;
        await runBatch(run, batch);
      });
    } catch (error) {
      // Lock waits exhausted is worth retrying as it is: the engine reports it as transient.
      if (error instanceof LockRetriesExhausted) throw error;
      const failedTenant = (error as { tenantId?: string }).tenantId ?? batch[0]!;
      throw new TenantMigrationError(migration.version, failedTenant, doneIds, error);
    }
    doneIds.push(...batch);
    await context.onProgress?.({
      step: "apply",
      version: migration.version,
      message: `${migration.version}: ${doneIds.length}/${all.length} tenants done`,
      detail: { tenantsDone: doneIds.length, tenants: all.length },
    });
  }
  await recordAppliedOnItsOwn(run, { lockRetries, tenantScoped: true, tenants: all.length });
  return { outsideTransaction: false, lockRetries };
}
