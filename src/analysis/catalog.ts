import type { Catalog, Migration } from "../catalog/index.ts";
import { analyzeSql } from "./index.ts";
import { parseStatements } from "./parse.ts";
import { SchemaModel } from "./schema-model.ts";
import type { MigrationAnalysis } from "./types.ts";

export interface CatalogAnalysisOptions {
  /**
   * Versions applied on the target. A table created by an earlier migration that is not applied is
   * new when this one runs (the same run creates it, empty). Undefined: nothing is applied (a fresh
   * database), so every table the catalog creates is new when the later migrations run.
   */
  applied?: ReadonlySet<string>;
  /** Live tables that are empty or small (`schema.table`): locking them blocks nobody for long. */
  smallTables?: ReadonlySet<string>;
  /** Live tables' estimated rows and bytes: a finding on one says how big it is. */
  tableSizes?: ReadonlyMap<string, { rows: number; totalBytes: number }>;
  /** The target's Postgres major version. */
  postgresVersion?: number;
}

function amount(value: number, units: [number, string][]): string {
  const [divisor, unit] = units.find(([size]) => value >= size) ?? [1, ""];
  return `${divisor === 1 ? value : (value / divisor).toFixed(value / divisor < 10 ? 1 : 0)}${unit}`;
}

/** `leads: 41 M rows, 12 GB`. */
export function sizeText(table: string, size: { rows: number; totalBytes: number }): string {
  const rows = amount(size.rows, [[1e9, " G"], [1e6, " M"], [1e3, " k"]]);
  const bytes = amount(size.totalBytes, [[2 ** 30, " GB"], [2 ** 20, " MB"], [2 ** 10, " kB"]]);
  return `${table.replace(/^public\./, "")}: ${rows} rows, ${bytes}${bytes.endsWith("B") ? "" : " bytes"}`;
}

function withSizes(analysis: MigrationAnalysis, sizes: CatalogAnalysisOptions["tableSizes"]): MigrationAnalysis {
  if (!sizes) return analysis;
  const findings = analysis.findings.map((finding) => {
    const size = finding.table ? sizes.get(finding.table) : undefined;
    return size ? { ...finding, message: `${sizeText(finding.table!, size)}: ${finding.message}` } : finding;
  });
  return { ...analysis, findings };
}

/**
 * Analyses these migrations of the catalog knowing the schema before each: the catalog's earlier
 * migrations are replayed through the parser (columns and their types), and tables made earlier in the
 * same run count as new. Each file is parsed once. Await `loadParser()` once before.
 */
export function analyzeCatalog(catalog: Catalog, wanted: readonly Migration[], options: CatalogAnalysisOptions = {}): Map<string, MigrationAnalysis> {
  const targets = new Set(wanted.map((migration) => migration.version));
  const last = wanted.reduce((max, migration) => (migration.version > max ? migration.version : max), "");
  const model = new SchemaModel();
  const analyses = new Map<string, MigrationAnalysis>();
  for (const migration of catalog.migrations) {
    if (migration.version > last) break;
    if (targets.has(migration.version)) {
      const quiet = new Set(options.smallTables ?? []);
      for (const [table, made] of model.tables) if (!options.applied?.has(made.createdBy)) quiet.add(table);
      const analysis = analyzeSql(migration.sql, migration.path, {
        version: migration.version,
        rollback: migration.rollback ? { path: migration.rollback.path, sql: migration.rollback.sql } : null,
        schema: model,
        quietTables: quiet,
        ...(options.postgresVersion !== undefined ? { postgresVersion: options.postgresVersion } : {}),
      });
      analyses.set(migration.version, withSizes(analysis, options.tableSizes));
    }
    try {
      model.apply(parseStatements(migration.sql, migration.path), migration.version);
    } catch {
      // A file that does not parse changes nothing the model can know; its analysis names the error.
    }
  }
  return analyses;
}
