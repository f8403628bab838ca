import { readCatalog } from "../../src/catalog/index.ts";
import { EnvironmentSchema, type Environment } from "../../src/config/index.ts";
import type { ProgressEvent, RunContext } from "../../src/runner/index.ts";
import { query } from "./services.ts";

/** An environment on a test database, with the engine's settings overridden where a test needs it. */
export function testEnvironment(databaseUrl: string, settings: Record<string, unknown> = {}): Environment {
  return { ...EnvironmentSchema.parse({ databaseUrl, ...settings }), name: "test" };
}

/** A run context over a migrations folder; `progress` collects every event the engine reports. */
export function runContext(environment: Environment, dir: string, actor = "cli:tester"): RunContext & { progress: ProgressEvent[] } {
  const progress: ProgressEvent[] = [];
  return { environment, catalog: readCatalog(dir), actor, progress, onProgress: (event) => void progress.push(event) };
}

export async function ledgerRows(url: string): Promise<{ version: string; status: string; applied_by: string; applied_at: Date; checksum: string | null; rollback_script: string | null }[]> {
  return query(url, "SELECT version, status, applied_by, applied_at, checksum, rollback_script FROM schema_migrations ORDER BY version");
}

/** The versions applied on a database, in order; none when it has no ledger yet. */
export async function appliedVersions(url: string): Promise<string[]> {
  const rows = await query<{ version: string }>(url, "SELECT version FROM schema_migrations WHERE status = 'applied' ORDER BY version").catch(() => []);
  return rows.map((row) => row.version);
}

export async function columnsOf(url: string, table: string): Promise<string[]> {
  const rows = await query<{ column_name: string }>(
    url,
    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
    [table],
  );
  return rows.map((row) => row.column_name);
}

export async function eventsOf(url: string, version: string): Promise<{ event: string; actor: string; reason: string | null; error_message: string | null; detail: Record<string, unknown> }[]> {
  return query(url, "SELECT event, actor, reason, error_message, detail FROM migration_events WHERE version = $1 ORDER BY id", [version]);
}
