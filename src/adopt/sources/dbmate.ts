import { byOriginVersion, quotedTable, type ImportSource } from "./source.ts";

/** dbmate's `schema_migrations (version varchar(128))`: one row per applied version, no time, no user. */
export const dbmateSource: ImportSource = {
  name: "dbmate",
  tool: "dbmate",
  layout: "dbmate",
  async read(client, table, catalog) {
    const { rows } = await client.query<{ version: string }>(`SELECT version FROM ${quotedTable(table)} ORDER BY version`);
    const files = byOriginVersion(catalog);
    const applied = rows.flatMap((row) => {
      const migration = files.get(row.version);
      return migration ? [{ migration, appliedAt: null, appliedBy: null }] : [];
    });
    return { applied, unmatched: rows.filter((row) => !files.has(row.version)).map((row) => row.version) };
  },
};
