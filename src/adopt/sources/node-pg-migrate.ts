import { quotedTable, type ImportSource } from "./source.ts";

/** node-pg-migrate's `pgmigrations (id, name, run_on)`: the file name without its extension, and when it ran. */
export const nodePgMigrateSource: ImportSource = {
  name: "node-pg-migrate",
  tool: "node-pg-migrate",
  layout: "node-pg-migrate",
  async read(client, table, catalog) {
    const { rows } = await client.query<{ name: string; run_on: Date }>(`SELECT name, run_on::timestamptz AS run_on FROM ${quotedTable(table)} ORDER BY id`);
    const files = new Map(catalog.migrations.map((migration) => [migration.path.split("/").at(-1)!.replace(/\.sql$/i, ""), migration]));
    const applied = rows.flatMap((row) => {
      const migration = files.get(row.name);
      return migration ? [{ migration, appliedAt: row.run_on, appliedBy: null }] : [];
    });
    return { applied, unmatched: rows.filter((row) => !files.has(row.name)).map((row) => row.name) };
  },
};
