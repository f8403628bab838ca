import { dottedName, findNodes } from "../tree.ts";
import type { Rule } from "../types.ts";

export const enumValueUsedInSameFile: Rule = {
  id: "enum-value-used-in-same-file",
  severity: "error",
  why: "A value added with ALTER TYPE ... ADD VALUE cannot be used until its transaction commits: the migration fails at apply with \"unsafe use of new value\".",
  safeWay: "Add the enum value in one migration and use it (UPDATE ... SET status = 'refunded', defaults, checks) in the next.",
  check: ({ migration }) =>
    migration.statements.flatMap((statement, index) => {
      if (statement.kind !== "AlterEnumStmt" || typeof statement.node.newVal !== "string") return [];
      const value = statement.node.newVal;
      const type = dottedName(statement.node.typeName);
      return migration.statements.slice(index + 1).flatMap((later) => {
        const use = findNodes(later.node, "A_Const").find((constant) => (constant.sval as { sval?: string } | undefined)?.sval === value);
        if (!use) return [];
        return [{
          statement: later,
          location: use.location as number | undefined,
          message: `'${value}' was added to ${type} by this file and cannot be used before that commits: the migration fails here at apply`,
        }];
      });
    }),
};
