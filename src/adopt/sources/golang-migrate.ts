import { byOriginVersion, numeric, quotedTable, type ImportSource } from "./source.ts";

/**
 * golang-migrate keeps one row: the current version and whether the run that set it failed half way
 * (`dirty`). Every file up to that version is applied; when and by whom it does not record.
 */
export const golangMigrateSource: ImportSource = {
  name: "golang-migrate",
  tool: "golang-migrate",
  layout: "golang-migrate",
  async read(client, table, catalog) {
    const { rows } = await client.query<{ version: string; dirty: boolean }>(`SELECT version::text AS version, dirty FROM ${quotedTable(table)}`);
    const current = rows[0];
    if (!current) return { applied: [], unmatched: [] };
    if (current.dirty) {
      return {
        applied: [],
        unmatched: [],
        refusal: `golang-migrate left version ${current.version} dirty (its last run failed half way), so what is applied is unknown`,
      };
    }
    const files = byOriginVersion(catalog, numeric);
    const applied = catalog.migrations
      .filter((migration) => BigInt(migration.origin.version) <= BigInt(current.version))
      .map((migration) => ({ migration, appliedAt: null, appliedBy: null }));
    return { applied, unmatched: files.has(current.version) ? [] : [current.version] };
  },
};
