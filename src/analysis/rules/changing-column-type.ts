import { columnTypeOf, typeChangeRewrites, type ColumnType } from "../schema-model.ts";
import { asColumnDef, commandsOnExistingTables, tableKey, tableName, type AlterTableCmd, type Node } from "../tree.ts";
import type { Rule, RuleContext } from "../types.ts";

/** `USING col` or `USING col::newtype`: the contents stay what the cast alone makes them. */
function usingKeepsContents(cmd: AlterTableCmd): boolean {
  const using = asColumnDef(cmd.def) && (cmd.def!.ColumnDef as { raw_default?: Node }).raw_default;
  if (!using) return true;
  const cast = (using as { TypeCast?: { arg?: Node } }).TypeCast?.arg ?? using;
  const fields = (cast as { ColumnRef?: { fields?: { String?: { sval?: string } }[] } }).ColumnRef?.fields ?? [];
  return fields.length === 1 && fields[0]?.String?.sval === cmd.name;
}

/** The column's type before this change, from the catalog's earlier migrations; undefined when unknown. */
function typeBefore(context: RuleContext, table: string, column: string): ColumnType | undefined {
  return context.schema?.columnType(table, column);
}

export const changingColumnType: Rule = {
  id: "changing-column-type",
  severity: "error",
  why: "ALTER COLUMN ... TYPE usually rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, and code reading the old type may break.",
  safeWay:
    "Expand and contract: add a column of the new type, write both, backfill in batches, switch reads, then drop the old column in a later migration. Or let Rookery run it in two phases: `-- rookery:expand-contract` in the header (docs/expand-contract.md).",
  check: (context) =>
    commandsOnExistingTables(context.migration.statements, context.newTables, ["AT_AlterColumnType"])
      .filter(({ relation, cmd }) => {
        // The same type, varchar(n) to a larger n or text, numeric precision up: Postgres rewrites nothing.
        const from = typeBefore(context, tableKey(relation), cmd.name ?? "");
        const to = columnTypeOf(asColumnDef(cmd.def)?.typeName);
        return !(from && to && usingKeepsContents(cmd) && !typeChangeRewrites(from, to));
      })
      .map(({ statement, relation, cmd }) => ({
        statement,
        table: tableKey(relation),
        message: `changing the type of ${tableName(relation)}.${cmd.name} rewrites the table and its indexes while every read and write waits, and clients expecting the old type may fail`,
      })),
};
