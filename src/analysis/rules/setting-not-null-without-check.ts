import { asConstraint, findNodes, tableCommands, tableKey, tableName, type Node } from "../tree.ts";
import type { Rule } from "../types.ts";

/** The column a CHECK constraint proves not null: `CHECK (col IS NOT NULL)`. */
function notNullColumn(expression: Node | undefined): string | undefined {
  const test = findNodes(expression, "NullTest").find((node) => node.nulltesttype === "IS_NOT_NULL");
  const fields = (test?.arg as { ColumnRef?: { fields?: { String?: { sval?: string } }[] } } | undefined)?.ColumnRef?.fields;
  return fields?.[fields.length - 1]?.String?.sval;
}

/** A check validated here but added by an earlier migration: taken as the proof of the SET NOT NULL after it. */
const ANY_COLUMN = "*";

export const settingNotNullWithoutCheck: Rule = {
  id: "setting-not-null-without-check",
  severity: "error",
  why: "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock, unless a validated CHECK (col IS NOT NULL) already proves it.",
  safeWay:
    "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID in one migration; in the next, VALIDATE CONSTRAINT c, then SET NOT NULL (Postgres 12+ skips the scan) and drop the check. Or let Rookery run it in two phases: `-- rookery:expand-contract` in the header (docs/expand-contract.md).",
  check: ({ migration, newTables }) => {
    /** `table.column` of CHECK (col IS NOT NULL) constraints seen so far, by constraint name, and whether validated. */
    const checks = new Map<string, { column: string; validated: boolean }>();
    const proven = (table: string, column: string) =>
      [...checks.entries()].some(([key, check]) => key.startsWith(`${table}/`) && (check.column === column || check.column === ANY_COLUMN) && check.validated);
    return tableCommands(migration.statements, ["AT_AddConstraint", "AT_ValidateConstraint", "AT_SetNotNull"]).flatMap(
      ({ statement, relation, cmd }) => {
        const table = tableKey(relation);
        if (cmd.subtype === "AT_AddConstraint") {
          const constraint = asConstraint(cmd.def);
          const column = constraint?.contype === "CONSTR_CHECK" ? notNullColumn(constraint.raw_expr) : undefined;
          if (column) checks.set(`${table}/${constraint?.conname ?? column}`, { column, validated: constraint?.skip_validation !== true });
          return [];
        }
        if (cmd.subtype === "AT_ValidateConstraint") {
          const check = checks.get(`${table}/${cmd.name}`);
          if (check) check.validated = true;
          // Added NOT VALID by an earlier migration (the safe way): its expression is not in this file.
          else checks.set(`${table}/${cmd.name}`, { column: ANY_COLUMN, validated: true });
          return [];
        }
        if (newTables.has(table) || proven(table, cmd.name ?? "")) return [];
        return [
          {
            statement,
            table: tableKey(relation),
            message: `SET NOT NULL on ${tableName(relation)}.${cmd.name} reads every row while reads and writes to the table wait`,
          },
        ];
      },
    );
  },
};
