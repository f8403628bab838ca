import pg from "pg";

/** Where the design document puts the ledger, and where its SQL (kept as the document wrote it) names it. */
export const DEFAULT_LEDGER_SCHEMA = "public";

const placed = new Map<string, string>();

/**
 * Ledger SQL is written against `public.`, the document's place. An environment whose `ledgerSchema`
 * is another (Rookery's ledger beside another tool's `public.schema_migrations`) gets the same SQL
 * with every `public.` qualifier moved to that schema. Only ledger SQL goes through here: the
 * migrations' own SQL never does. The text is the same for a schema every time, so it is kept.
 */
export function inLedgerSchema(sql: string, schema: string): string {
  if (schema === DEFAULT_LEDGER_SCHEMA) return sql;
  const key = `${schema}\u0000${sql}`;
  let text = placed.get(key);
  if (text === undefined) {
    text = sql.replace(/\bpublic\./g, `${pg.escapeIdentifier(schema)}.`);
    if (placed.size > 500) placed.clear();
    placed.set(key, text);
  }
  return text;
}
