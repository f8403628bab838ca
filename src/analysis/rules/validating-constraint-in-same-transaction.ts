import { asConstraint, commandsOnExistingTables, tableKey, tableName } from "../tree.ts";
import type { Rule } from "../types.ts";

export const validatingConstraintInSameTransaction: Rule = {
  id: "validating-constraint-in-same-transaction",
  severity: "error",
  why: "ADD CONSTRAINT ... NOT VALID takes an ACCESS EXCLUSIVE lock held until the migration commits; validating it in the same transaction scans every row under that lock, which NOT VALID was meant to avoid.",
  safeWay: "ADD CONSTRAINT ... NOT VALID in one migration, ALTER TABLE ... VALIDATE CONSTRAINT in the next: validating alone takes a lock that lets reads and writes go on.",
  check: ({ migration, newTables }) => {
    const addedNotValid = new Set(
      commandsOnExistingTables(migration.statements, newTables, ["AT_AddConstraint"]).flatMap(({ relation, cmd }) => {
        const constraint = asConstraint(cmd.def);
        return constraint?.conname && constraint.skip_validation === true ? [`${tableKey(relation)}.${constraint.conname}`] : [];
      }),
    );
    return commandsOnExistingTables(migration.statements, newTables, ["AT_ValidateConstraint"])
      .filter(({ relation, cmd }) => addedNotValid.has(`${tableKey(relation)}.${cmd.name}`))
      .map(({ statement, relation, cmd }) => ({
        statement,
        message: `${cmd.name} was added NOT VALID in this same transaction: the full check of ${tableName(relation)} runs while the ACCESS EXCLUSIVE lock of the ADD is still held`,
      }));
  },
};
