import { columnConstraints, commandsOnExistingTables, tableName, typeNameOf, asColumnDef } from "../tree.ts";
import type { Rule } from "../types.ts";

const SERIALS = new Set(["serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"]);

export const addingSerialPrimaryKeyField: Rule = {
  id: "adding-serial-primary-key-field",
  severity: "error",
  why: "ADD COLUMN ... serial PRIMARY KEY fills every row from a sequence (a rewrite) and builds the unique index, all under an ACCESS EXCLUSIVE lock.",
  safeWay:
    "Add the column nullable, backfill it in batches, CREATE UNIQUE INDEX CONCURRENTLY, then ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY USING INDEX.",
  check: ({ migration, newTables }) =>
    commandsOnExistingTables(migration.statements, newTables, ["AT_AddColumn"]).flatMap(({ statement, relation, cmd }) => {
      const column = asColumnDef(cmd.def);
      if (!column || !SERIALS.has(typeNameOf(column.typeName))) return [];
      if (!columnConstraints(column).some((constraint) => constraint.contype === "CONSTR_PRIMARY")) return [];
      return [{
        statement,
        location: column.location,
        message: `adding ${column.colname} as a ${typeNameOf(column.typeName)} primary key rewrites ${tableName(relation)} and builds its index while every read and write waits`,
      }];
    }),
};

