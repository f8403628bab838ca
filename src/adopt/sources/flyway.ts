import { versionFromDotted } from "../../catalog/index.ts";
import { quotedTable, type ImportedVersion, type ImportSource } from "./source.ts";

/**
 * Flyway's `flyway_schema_history`: one row per run, in `installed_rank` order. A version is applied
 * when its last successful row is a migration (an `UNDO_SQL` row after it undid it, and a `DELETE`
 * row, which `flyway repair` writes for an applied migration whose file is gone, took it out of the
 * history); a failed row refuses the import, as Flyway's own `validate` would.
 */
export const flywaySource: ImportSource = {
  name: "flyway",
  tool: "Flyway",
  layout: "flyway",
  async read(client, table, catalog) {
    const { rows } = await client.query<{ version: string; type: string; installed_by: string; installed_on: Date; success: boolean }>(
      `SELECT version, type, installed_by, installed_on::timestamptz AS installed_on, success FROM ${quotedTable(table)} WHERE version IS NOT NULL ORDER BY installed_rank`,
    );
    const failed = rows.filter((row) => !row.success).map((row) => row.version);
    if (failed.length > 0) {
      return { applied: [], unmatched: [], refusal: `Flyway recorded failed runs of ${failed.join(", ")}; repair them with Flyway first` };
    }
    const latest = new Map<string, (typeof rows)[number]>();
    for (const row of rows) {
      const mapped = versionFromDotted(row.version);
      latest.set("version" in mapped ? mapped.version : row.version, row);
    }
    const applied = new Map<string, ImportedVersion>();
    const unmatched = [];
    for (const [version, row] of latest) {
      const appliedBy = `flyway:${row.installed_by}`;
      if (row.type.startsWith("UNDO") || row.type === "DELETE") continue;
      // Flyway's own baseline: every version up to it counts as applied.
      if (row.type === "BASELINE") {
        for (const migration of catalog.migrations.filter((each) => each.version <= version)) {
          if (!applied.has(migration.version)) applied.set(migration.version, { migration, appliedAt: row.installed_on, appliedBy });
        }
        continue;
      }
      const migration = catalog.byVersion.get(version);
      if (!migration) unmatched.push(row.version);
      else applied.set(version, { migration, appliedAt: row.installed_on, appliedBy });
    }
    return { applied: [...applied.values()], unmatched };
  },
};
