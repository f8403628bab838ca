import { dottedName, commandsOnExistingTables, tableKey, tableName } from "../tree.ts";
import type { Rule, RuleHit } from "../types.ts";

/** `a` or `s.a` from a DROP's object list, as a table key. */
function droppedTableKey(object: unknown): { key: string; name: string } {
  const parts = dottedName(object).split(".");
  const relname = parts.pop() ?? "";
  const schemaname = parts.pop();
  return { key: tableKey({ schemaname, relname }), name: tableName({ schemaname, relname }) };
}

export const droppingColumnOrTable: Rule = {
  id: "dropping-column-or-table",
  severity: "error",
  why: "Running code that still reads the column or table fails, and the data is gone: a rollback cannot bring it back.",
  safeWay:
    "Deprecation first: remove every use from the application and ship that, let it soak, then drop in a later migration with a backup; allow it then with `-- rookery:allow dropping-column-or-table <release that stopped using it>`. Or let Rookery run it in two phases: `-- rookery:expand-contract` in the header (docs/expand-contract.md).",
  check: ({ migration, newTables }) => {
    const tables: RuleHit[] = migration.statements
      .filter((statement) => statement.kind === "DropStmt" && statement.node.removeType === "OBJECT_TABLE")
      .flatMap((statement) =>
        ((statement.node.objects as unknown[] | undefined) ?? [])
          .map(droppedTableKey)
          .filter((table) => !newTables.has(table.key))
          .map((table) => ({
            statement,
            message: `dropping table ${table.name} deletes its data for good and breaks every running client that still queries it`,
          })),
      );
    const columns: RuleHit[] = commandsOnExistingTables(migration.statements, newTables, ["AT_DropColumn"])
      .map(({ statement, relation, cmd }) => ({
        statement,
        message: `dropping column ${tableName(relation)}.${cmd.name} deletes its data for good and breaks every running client that still reads or writes it`,
      }));
    return [...tables, ...columns].sort((a, b) => a.statement.offset - b.statement.offset);
  },
};
