import { asColumnDef, asConstraint, columnConstraints, commandsOnExistingTables, tableName, type Constraint } from "../tree.ts";
import type { Rule } from "../types.ts";

const INDEXED_KINDS: Record<string, string> = { CONSTR_UNIQUE: "unique constraint", CONSTR_PRIMARY: "primary key" };

export const addingUniqueConstraintWithoutIndex: Rule = {
  id: "adding-unique-constraint-without-index",
  severity: "error",
  why: "A unique constraint or primary key added directly builds its index while blocking every write to the table.",
  safeWay:
    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx ON table (...); in its own migration, then ALTER TABLE table ADD CONSTRAINT name UNIQUE USING INDEX idx.",
  check: ({ migration, newTables }) =>
    commandsOnExistingTables(migration.statements, newTables, ["AT_AddConstraint", "AT_AddColumn"])
      .flatMap(({ statement, relation, cmd }) => {
        const column = asColumnDef(cmd.def);
        const constraint = asConstraint(cmd.def);
        const constraints: Constraint[] = column ? columnConstraints(column) : constraint ? [constraint] : [];
        return constraints
          .filter((constraint) => INDEXED_KINDS[constraint.contype] && !constraint.indexname)
          .map((constraint) => ({
            statement,
            location: constraint.location,
            message: `this ${INDEXED_KINDS[constraint.contype]} builds a new index on ${tableName(relation)} while INSERT, UPDATE and DELETE wait for the whole build`,
          }));
      }),
};
