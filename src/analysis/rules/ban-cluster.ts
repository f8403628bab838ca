import { relationsOf, tableKey } from "../tree.ts";
import type { Rule } from "../types.ts";

export const banCluster: Rule = {
  id: "ban-cluster",
  severity: "error",
  why: "CLUSTER rewrites the table in index order under an ACCESS EXCLUSIVE lock: no reads, no writes until it ends.",
  safeWay: "Use pg_repack --order-by to reorder online, outside migrations.",
  check: ({ migration, newTables }) =>
    migration.statements
      .filter((statement) => statement.kind === "ClusterStmt")
      .filter((statement) => relationsOf(statement).length === 0 || relationsOf(statement).some((rel) => !newTables.has(tableKey(rel))))
      .map((statement) => ({ statement, message: "CLUSTER blocks every read and write of the table while it rewrites it" })),
};
