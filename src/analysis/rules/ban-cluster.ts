import { statementsOnExistingTables } from "../tree.ts";
import type { Rule } from "../types.ts";

export const banCluster: Rule = {
  id: "ban-cluster",
  severity: "error",
  why: "CLUSTER rewrites the table in index order under an ACCESS EXCLUSIVE lock: no reads, no writes until it ends.",
  safeWay: "Use pg_repack --order-by to reorder online, outside migrations.",
  check: ({ migration, newTables }) =>
    statementsOnExistingTables(migration.statements, newTables, "ClusterStmt")
      .map((statement) => ({ statement, message: "CLUSTER blocks every read and write of the table while it rewrites it" })),
};
