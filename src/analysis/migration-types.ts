import type { MigrationType, MigrationTypeInfo } from "./types.ts";

/** The design document's table "Migration Types & Strategies", word for word. */
export const MIGRATION_TYPES: Readonly<Record<MigrationType, MigrationTypeInfo>> = {
  "Data-only": { downtime: "Zero", strategy: "Online migration", rollbackComplexity: "Simple", useCase: "Data updates, cleanup" },
  "DDL Add": { downtime: "Minimal", strategy: "Deploy-first approach", rollbackComplexity: "Simple", useCase: "New tables, columns, indexes" },
  "DDL Modify": {
    downtime: "Variable",
    strategy: "Blue-green deployment",
    rollbackComplexity: "Complex",
    useCase: "Schema changes affecting existing data",
  },
  "DDL Delete": {
    downtime: "High",
    strategy: "Deprecation-first approach",
    rollbackComplexity: "High Risk",
    useCase: "Removing tables, columns",
  },
};

const RISK_ORDER: readonly MigrationType[] = ["Data-only", "DDL Add", "DDL Modify", "DDL Delete"];

export function riskiest(types: Iterable<MigrationType>): MigrationType {
  let worst = 0;
  for (const type of types) worst = Math.max(worst, RISK_ORDER.indexOf(type));
  return RISK_ORDER[worst]!;
}
