import pg from "pg";
import { ensureLedger } from "../../src/ledger/index.ts";
import { snapshotSchema, type SchemaSnapshot } from "../../src/runner/schema-snapshot.ts";

/** Runs SQL as the new release would: with the version's schema first on its search_path. */
export async function queryAs<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, searchPath: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${searchPath}` });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** The schema as `prove` compares it (the ledger, the engine's own, is created first, as `prove` does). */
export async function schemaOf(url: string): Promise<SchemaSnapshot> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await ensureLedger(client, "public");
    return await snapshotSchema(client);
  } finally {
    await client.end();
  }
}
