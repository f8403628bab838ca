import { statementsOnExistingTables } from "../tree.ts";
import type { Rule } from "../types.ts";

function isFull(options: unknown): boolean {
  return ((options as { DefElem?: { defname?: string } }[] | undefined) ?? []).some((option) => option.DefElem?.defname === "full");
}

export const banVacuumFull: Rule = {
  id: "ban-vacuum-full",
  severity: "error",
  why: "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock: no reads, no writes until it ends.",
  safeWay: "Let autovacuum work, or use pg_repack / pg_squeeze, which rebuild the table online; run maintenance outside migrations.",
  check: ({ migration, newTables }) =>
    statementsOnExistingTables(migration.statements, newTables, "VacuumStmt")
      .filter((statement) => isFull(statement.node.options))
      .map((statement) => ({ statement, message: "VACUUM FULL blocks every read and write of the tables it rewrites, for as long as it runs" })),
};
