import { byOriginVersion, numeric, quotedTable, type ImportSource } from "./source.ts";

/**
 * goose's `goose_db_version`: a row per apply and per rollback (`is_applied` false), the latest row of
 * a version wins; version 0 is the row goose writes when it creates its table.
 */
export const gooseSource: ImportSource = {
  name: "goose",
  tool: "goose",
  layout: "goose",
  async read(client, table, catalog) {
    const { rows } = await client.query<{ version: string; is_applied: boolean; tstamp: Date | null }>(
      `SELECT DISTINCT ON (version_id) version_id::text AS version, is_applied, tstamp::timestamptz AS tstamp
         FROM ${quotedTable(table)} WHERE version_id <> 0 ORDER BY version_id, id DESC`,
    );
    const files = byOriginVersion(catalog, numeric);
    const current = rows.filter((row) => row.is_applied);
    const applied = current.flatMap((row) => {
      const migration = files.get(row.version);
      return migration ? [{ migration, appliedAt: row.tstamp, appliedBy: null }] : [];
    });
    return { applied, unmatched: current.filter((row) => !files.has(row.version)).map((row) => row.version) };
  },
};
