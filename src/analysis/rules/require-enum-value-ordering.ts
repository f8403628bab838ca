import { dottedName } from "../tree.ts";
import type { Rule } from "../types.ts";

export const requireEnumValueOrdering: Rule = {
  id: "require-enum-value-ordering",
  severity: "warning",
  why: "ALTER TYPE ... ADD VALUE without BEFORE or AFTER puts the value last, and an enum sorts in that order: ORDER BY and comparisons (status < 'shipped') treat it as the greatest value, whatever its meaning.",
  safeWay: "Say where the value goes: ALTER TYPE t ADD VALUE 'v' BEFORE 'x' (or AFTER 'y'); write AFTER the current last value when last is meant.",
  check: ({ migration }) =>
    migration.statements
      // RENAME VALUE also carries newVal, but with oldVal: it keeps the value's place.
      .filter((statement) => statement.kind === "AlterEnumStmt" && typeof statement.node.newVal === "string")
      .filter((statement) => statement.node.oldVal === undefined && statement.node.newValNeighbor === undefined)
      .map((statement) => ({
        statement,
        message: `'${String(statement.node.newVal)}' goes after every existing value of ${dottedName(statement.node.typeName)}: ORDER BY and < / > comparisons sort it as the greatest`,
      })),
};
