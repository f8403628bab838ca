import { commandsOnExistingTables, tableName, type RangeVar } from "../tree.ts";
import type { Rule } from "../types.ts";

/** DETACH PARTITION ... CONCURRENTLY arrived in Postgres 14. */
const CONCURRENT_SINCE = 14;

export const requireConcurrentPartitionDetach: Rule = {
  id: "require-concurrent-partition-detach",
  severity: "error",
  why: "DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the partitioned table: every query on any partition waits; before Postgres 14 the CONCURRENTLY form does not exist and fails at apply.",
  safeWay:
    "ALTER TABLE parent DETACH PARTITION child CONCURRENTLY; (Postgres 14 and later) in a file of its own. Before 14 there is no online way: detach in a quiet hour, with a short lock_timeout.",
  check: ({ migration, newTables, postgresVersion }) => {
    const beforeConcurrent = postgresVersion !== undefined && postgresVersion < CONCURRENT_SINCE;
    return commandsOnExistingTables(migration.statements, newTables, ["AT_DetachPartition"]).flatMap(({ statement, relation, cmd }) => {
      const partition = cmd.def?.PartitionCmd as { name?: RangeVar; concurrent?: boolean } | undefined;
      if (partition?.concurrent === true) {
        if (!beforeConcurrent) return [];
        return [{
          statement,
          message: `DETACH PARTITION ... CONCURRENTLY is a syntax error on Postgres ${postgresVersion} (it arrived in ${CONCURRENT_SINCE}): the migration fails at apply`,
        }];
      }
      const older = beforeConcurrent
        ? `; Postgres ${postgresVersion} has no DETACH PARTITION ... CONCURRENTLY (${CONCURRENT_SINCE} and later), so detach in a quiet hour with a short lock_timeout`
        : "";
      return [{
        statement,
        message: `detaching ${tableName(partition?.name)} locks all of ${tableName(relation)}: reads and writes of every partition wait${older}`,
      }];
    });
  },
};
