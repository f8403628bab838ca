import { qualified } from "../schema-model.ts";
import { dottedName } from "../tree.ts";
import type { Rule } from "../types.ts";

/** Indexes this file creates: dropping one of them again locks nothing anyone uses. */
function createdIndexes(statements: readonly { kind: string; node: Record<string, unknown> }[]): Set<string> {
  return new Set(statements.filter((statement) => statement.kind === "IndexStmt").map((statement) => String(statement.node.idxname ?? "")));
}

export const requireConcurrentIndexDeletion: Rule = {
  id: "require-concurrent-index-deletion",
  severity: "error",
  why: "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the index's table: reads and writes wait behind it.",
  safeWay: "DROP INDEX CONCURRENTLY IF EXISTS name; in a file of its own (it cannot run in a transaction).",
  check: ({ migration, newTables, schema }) => {
    const created = createdIndexes(migration.statements);
    // An index of a table that is new (or empty) when this runs: dropping it locks nobody.
    const onNewTable = (name: string) => {
      const table = schema?.indexes.get(qualified(name));
      return table !== undefined && newTables.has(table);
    };
    return migration.statements
      .filter((statement) => statement.kind === "DropStmt" && statement.node.removeType === "OBJECT_INDEX" && statement.node.concurrent !== true)
      .flatMap((statement) => {
        const names = ((statement.node.objects as unknown[] | undefined) ?? []).map(dottedName);
        const existing = names.filter((name) => !created.has(name.split(".").at(-1)!) && !onNewTable(name));
        return existing.length === 0
          ? []
          : [{ statement, message: `dropping ${existing.join(", ")} locks its table against every read and write until the drop is done, and it waits behind any long query first` }];
      });
  },
};
