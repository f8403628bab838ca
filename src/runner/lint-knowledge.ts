import { analyzeCatalog, analyzeMigration, type CatalogAnalysisOptions, type MigrationAnalysis } from "../analysis/index.ts";
import type { Catalog, Migration } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { liveTables, serverMajorVersion } from "./live-tables.ts";
import { getStatus } from "./status.ts";

/**
 * What the target says about a run, for the schema-aware analysis: which versions its ledger has
 * applied (tables made by the others are new when they run), its live tables' sizes, its Postgres.
 * `applied` is read from the ledger unless the caller has just read it.
 */
export async function lintKnowledge(environment: Environment, catalog: Catalog, applied?: ReadonlySet<string>): Promise<CatalogAnalysisOptions> {
  const appliedVersions =
    applied ?? new Set((await getStatus(environment, catalog)).migrations.filter((state) => state.state === "applied").map((state) => state.version));
  const tables = await liveTables(environment);
  const small = [...tables].filter(([, size]) => size.heapBytes === 0 || size.totalBytes <= environment.smallTableBytes).map(([name]) => name);
  return { applied: appliedVersions, smallTables: new Set(small), tableSizes: tables, postgresVersion: await serverMajorVersion(environment) };
}

/**
 * These catalog migrations analysed as `rookery lint` does on this target, cheaply: each file alone
 * first, and only those with findings again knowing the schema (the catalog's earlier files replayed,
 * the ledger's applied set, live table sizes). Knowing more only removes findings, so a clean file
 * needs no more; and the earlier files are parsed only when something was found. When the target
 * cannot be read the per-file findings stand: stricter, never silent. Await `loadParser()` once before.
 */
export async function analyzeForTarget(
  environment: Environment,
  catalog: Catalog,
  migrations: readonly Migration[],
  applied?: ReadonlySet<string>,
): Promise<Map<string, MigrationAnalysis>> {
  const analyses = new Map(migrations.map((migration) => [migration.version, analyzeMigration(migration)]));
  const flagged = migrations.filter((migration) => analyses.get(migration.version)!.findings.length > 0 && catalog.byVersion.get(migration.version)?.checksum === migration.checksum);
  if (flagged.length === 0) return analyses;
  let knowledge: CatalogAnalysisOptions;
  try {
    knowledge = await lintKnowledge(environment, catalog, applied);
  } catch {
    return analyses;
  }
  for (const [version, analysis] of analyzeCatalog(catalog, flagged, knowledge)) analyses.set(version, analysis);
  return analyses;
}
