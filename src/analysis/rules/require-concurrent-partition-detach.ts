import { commandsOnExistingTables, tableName, type RangeVar } from "../tree.ts";
import type { Rule } from "../types.ts";

export const requireConcurrentPartitionDetach: Rule = {
  id: "require-concurrent-partition-detach",
  severity: "error",
  why: "DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the partitioned table: every query on any partition waits.",
  safeWay: "ALTER TABLE parent DETACH PARTITION child CONCURRENTLY; (Postgres 14 and later) in a file of its own.",
  check: ({ migration, newTables }) =>
    commandsOnExistingTables(migration.statements, newTables, ["AT_DetachPartition"])
      .filter(({ cmd }) => (cmd.def?.PartitionCmd as { concurrent?: boolean } | undefined)?.concurrent !== true)
      .map(({ statement, relation, cmd }) => ({
        statement,
        message: `detaching ${tableName((cmd.def?.PartitionCmd as { name?: RangeVar } | undefined)?.name)} locks all of ${tableName(relation)}: reads and writes of every partition wait`,
      })),
};
