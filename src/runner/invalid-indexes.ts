import type pg from "pg";
import type { Statement } from "../analysis/parse.ts";
import type { Environment } from "../config/index.ts";
import type { ProgressListener } from "./types.ts";

interface IndexName {
  schema: string | null;
  name: string;
}

/** The indexes a file's CREATE INDEX statements name (an unnamed index cannot be found again). */
export function indexesNamedBy(statements: Statement[]): IndexName[] {
  return statements.flatMap((statement) => {
    if (statement.kind !== "IndexStmt") return [];
    const name = statement.node.idxname as string | undefined;
    const relation = statement.node.relation as { schemaname?: string } | undefined;
    return name ? [{ schema: relation?.schemaname ?? null, name }] : [];
  });
}

/** Those of the named indexes that exist and are INVALID (a concurrent build that failed half way). */
export async function findInvalidIndexes(client: pg.ClientBase, names: IndexName[]): Promise<string[]> {
  if (names.length === 0) return [];
  const { rows } = await client.query<{ name: string }>(
    `SELECT i.indexrelid::regclass::text AS name
     FROM unnest($1::text[], $2::text[]) AS n(schema, name)
     JOIN pg_catalog.pg_index i
       ON i.indexrelid = to_regclass(CASE WHEN n.schema IS NULL THEN quote_ident(n.name) ELSE quote_ident(n.schema) || '.' || quote_ident(n.name) END)
     WHERE NOT i.indisvalid`,
    [names.map((index) => index.schema), names.map((index) => index.name)],
  );
  return rows.map((row) => row.name);
}

/**
 * Reports and drops the INVALID indexes a file's CREATE INDEX statements name, before it runs or is
 * retried: `CREATE INDEX CONCURRENTLY IF NOT EXISTS` would otherwise keep the broken index for good.
 */
export async function dropInvalidIndexes(
  client: pg.ClientBase,
  environment: Environment,
  statements: Statement[],
  label: { version: string; onProgress?: ProgressListener },
): Promise<string[]> {
  const invalid = await findInvalidIndexes(client, indexesNamedBy(statements));
  for (const index of invalid) {
    await label.onProgress?.({
      step: "apply",
      version: label.version,
      message: `${label.version}: index ${index} is INVALID (left by a failed concurrent build); dropping it before building it again`,
      detail: { invalidIndex: index },
    });
    await client.query(`SET lock_timeout = ${Math.round(environment.concurrentLockTimeout)}`);
    try {
      // regclass text output is already quoted and schema-qualified where needed.
      await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index}`);
    } finally {
      await client.query("RESET lock_timeout").catch(() => {});
    }
  }
  return invalid;
}
