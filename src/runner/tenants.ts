import type pg from "pg";
import type { Migration } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { RookeryError } from "../errors.ts";
import type { RunContext } from "./types.ts";

/** Tenants per transaction: small enough that a failure loses little work, large enough to keep commits few. */
export const TENANT_BATCH_SIZE = 25;

export interface TenantResult {
  tenantId: string;
  affectedRows: number;
}

export interface TenantScopedReport {
  /** Tenants done by this run, in order. */
  applied: TenantResult[];
  /** Tenants already done by an earlier run that stopped on a failure. */
  alreadyDone: string[];
}

export class TenantMigrationError extends RookeryError {
  readonly version: string;
  readonly failedTenant: string;
  readonly doneTenants: string[];

  constructor(version: string, failedTenant: string, doneTenants: string[], cause: unknown) {
    super(
      `${version} failed for tenant ${failedTenant}: ${(cause as Error).message}. ` +
        `${doneTenants.length} tenant(s) are done${doneTenants.length ? ` (${abbreviate(doneTenants)})` : ""}; the failing batch was undone.`,
      { hint: `Fix the cause and apply ${version} again: it continues with the tenants not yet done.`, cause },
    );
    this.version = version;
    this.failedTenant = failedTenant;
    this.doneTenants = doneTenants;
  }
}

/** The document's tenant_context column is a uuid; tenants keyed otherwise are named in detail only. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
async function doneTenants(client: pg.ClientBase, version: string): Promise<Set<string>> {
  const { rows } = await client.query<{ tenant: string }>(
    `SELECT detail->>'tenantId' AS tenant FROM migration_events
     WHERE version = $1 AND event = 'tenant_applied'
       AND id > COALESCE((SELECT max(id) FROM migration_events WHERE version = $1 AND event IN ('applied', 'rolled_back')), 0)`,
    [version],
  );
  return new Set(rows.map((row) => row.tenant));
}

/** Rows changed by the file's INSERT/UPDATE/DELETE/MERGE statements (a multi-statement file yields one result each). */
function affectedRows(result: pg.QueryResult | pg.QueryResult[]): number {
  const results = Array.isArray(result) ? result : [result];
  return results
    .filter((each) => ["INSERT", "UPDATE", "DELETE", "MERGE"].includes(each.command))
    .reduce((sum, each) => sum + (each.rowCount ?? 0), 0);
}

async function setTimeouts(client: pg.ClientBase, environment: Environment): Promise<void> {
  await client.query("SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)", [
    `${environment.lockTimeout}ms`,
    `${environment.statementTimeout}ms`,
  ]);
}

async function runBatch(ctx: RunContext, client: pg.ClientBase, migration: Migration, batch: string[]): Promise<TenantResult[]> {
  const results: TenantResult[] = [];
  await client.query("BEGIN");
  try {
    await setTimeouts(client, ctx.environment);
    for (const tenantId of batch) {
      await client.query("SELECT set_config('app.current_tenant_id', $1, true)", [tenantId]);
      let rows: number;
      try {
        rows = affectedRows(await client.query(migration.sql));
      } catch (error) {
        (error as { tenantId?: string }).tenantId = tenantId;
        throw error;
      }
      await client.query(
        `INSERT INTO migration_events (version, event, actor, detail, migration_type, affected_tenants, tenant_context, success)
         VALUES ($1, 'tenant_applied', $2, $3, 'tenant_safe', 1, $4, true)`,
        [migration.version, ctx.actor, JSON.stringify({ tenantId, affectedRows: rows, checksum: migration.checksum }), UUID.test(tenantId) ? tenantId : null],
      );
      results.push({ tenantId, affectedRows: rows });
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
  return results;
}

/**
 * Runs a `-- rookery:tenant-scoped` file once per tenant with `app.current_tenant_id` set (so row level
 * security policies and the file itself see one tenant), in batches of one transaction each, recording
 * every tenant with its affected rows. It manages its own transactions: call it on a client outside one.
 * On a failure the failing batch is undone, a 'tenant_failed' event lists the done tenants, and a
 * TenantMigrationError is thrown for the engine to record the version as failed.
 */
export async function applyTenantScoped(ctx: RunContext, client: pg.ClientBase, migration: Migration): Promise<TenantScopedReport> {
  const all = await tenantIds(client, migration.version);
  const done = await doneTenants(client, migration.version);
  const todo = all.filter((id) => !done.has(id));
  const report: TenantScopedReport = { applied: [], alreadyDone: all.filter((id) => done.has(id)) };
  for (let start = 0; start < todo.length; start += TENANT_BATCH_SIZE) {
    const batch = todo.slice(start, start + TENANT_BATCH_SIZE);
    try {
      report.applied.push(...(await runBatch(ctx, client, migration, batch)));
    } catch (error) {
      const failedTenant = (error as { tenantId?: string }).tenantId ?? batch[0]!;
      const doneIds = [...report.alreadyDone, ...report.applied.map((each) => each.tenantId)];
      await client.query(
        `INSERT INTO migration_events (version, event, actor, detail, migration_type, success, error_message)
         VALUES ($1, 'tenant_failed', $2, $3, 'tenant_safe', false, $4)`,
        [migration.version, ctx.actor, JSON.stringify({ failedTenant, doneTenants: doneIds, error: (error as Error).message }), (error as Error).message],
      );
      throw new TenantMigrationError(migration.version, failedTenant, doneIds, error);
    }
    await ctx.onProgress?.({
      step: "apply",
      version: migration.version,
      message: `${migration.version}: ${report.alreadyDone.length + report.applied.length}/${all.length} tenants done`,
      detail: { tenantsDone: report.alreadyDone.length + report.applied.length, tenants: all.length },
    });
  }
  return report;
}
