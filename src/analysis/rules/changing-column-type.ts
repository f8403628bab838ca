import { commandsOnExistingTables, tableName } from "../tree.ts";
import type { Rule } from "../types.ts";

export const changingColumnType: Rule = {
  id: "changing-column-type",
  severity: "error",
  why: "ALTER COLUMN ... TYPE usually rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, and code reading the old type may break.",
  safeWay:
    "Expand and contract: add a column of the new type, write both, backfill in batches, switch reads, then drop the old column in a later migration. Or let Rookery run it in two phases: `-- rookery:expand-contract` in the header (docs/expand-contract.md).",
  check: ({ migration, newTables }) =>
    commandsOnExistingTables(migration.statements, newTables, ["AT_AlterColumnType"])
      .map(({ statement, relation, cmd }) => ({
        statement,
        message: `changing the type of ${tableName(relation)}.${cmd.name} rewrites the table and its indexes while every read and write waits, and clients expecting the old type may fail`,
      })),
};
