import { asConstraint, commandsOnExistingTables, tableName, tableKey } from "../tree.ts";
import type { Rule } from "../types.ts";

const VALIDATED_KINDS: Record<string, string> = { CONSTR_FOREIGN: "foreign key", CONSTR_CHECK: "check constraint" };

export const addingConstraintWithoutNotValid: Rule = {
  id: "adding-constraint-without-not-valid",
  severity: "error",
  why: "Adding a foreign key or check constraint checks every existing row while holding a lock that blocks writes (and, for a foreign key, writes to the referenced table too).",
  safeWay: "ADD CONSTRAINT ... NOT VALID in one migration, then ALTER TABLE ... VALIDATE CONSTRAINT ... in the next (it takes a weaker lock).",
  check: ({ migration, newTables }) =>
    commandsOnExistingTables(migration.statements, newTables, ["AT_AddConstraint"])
      .flatMap(({ statement, relation, cmd }) => {
        const constraint = asConstraint(cmd.def);
        const kind = constraint && VALIDATED_KINDS[constraint.contype];
        if (!constraint || !kind || constraint.skip_validation === true) return [];
        return [
          {
            statement,
            table: tableKey(relation),
            location: constraint.location,
            message: `this ${kind} is checked against every row of ${tableName(relation)} at once, and writes to it wait until the scan ends`,
          },
        ];
      }),
};
