import { relationOf, tableName } from "../tree.ts";
import type { Statement } from "../parse.ts";
import type { Rule } from "../types.ts";

/** `REINDEX INDEX CONCURRENTLY name` arrived in Postgres 12. */
const CONCURRENT_SINCE = 12;
/** The option list form, `REINDEX (CONCURRENTLY) INDEX name`, in 14. */
const OPTION_LIST_SINCE = 14;

function concurrent(statement: Statement): boolean {
  const params = (statement.node.params as { DefElem?: { defname?: string } }[] | undefined) ?? [];
  return params.some((param) => param.DefElem?.defname === "concurrently");
}

/** The first version that runs this statement's CONCURRENTLY as written. */
function concurrentSince(statement: Statement): number {
  return /concurrently/i.test(/\breindex\s*\(([^)]*)\)/i.exec(statement.sql)?.[1] ?? "") ? OPTION_LIST_SINCE : CONCURRENT_SINCE;
}

export const requireConcurrentReindex: Rule = {
  id: "require-concurrent-reindex",
  severity: "error",
  why: "REINDEX without CONCURRENTLY locks the table against writes (and the index against reads) for the whole rebuild; before Postgres 12 REINDEX CONCURRENTLY does not exist and fails at apply.",
  safeWay:
    "REINDEX INDEX CONCURRENTLY name; (Postgres 12 and later) in a file of its own. Before 12: CREATE INDEX CONCURRENTLY a copy, DROP INDEX CONCURRENTLY the old one, rename the copy.",
  check: ({ migration, postgresVersion }) => {
    const before = (since: number) => postgresVersion !== undefined && postgresVersion < since;
    const beforeConcurrent = before(CONCURRENT_SINCE);
    return migration.statements
      .filter((statement) => statement.kind === "ReindexStmt")
      .filter((statement) => !concurrent(statement) || before(concurrentSince(statement)))
      .map((statement) => {
        const target = relationOf(statement) ? tableName(relationOf(statement)) : String(statement.node.name ?? "");
        if (concurrent(statement)) {
          const since = concurrentSince(statement);
          const instead = since === OPTION_LIST_SINCE && !beforeConcurrent
            ? `write REINDEX INDEX CONCURRENTLY name (${CONCURRENT_SINCE} and later) instead`
            : "build a copy of the index with CREATE INDEX CONCURRENTLY instead";
          return {
            statement,
            message: `this REINDEX CONCURRENTLY is a syntax error on Postgres ${postgresVersion} (it arrived in ${since}): the migration fails at apply; ${instead}`,
          };
        }
        const older = beforeConcurrent
          ? `; Postgres ${postgresVersion} has no REINDEX CONCURRENTLY (${CONCURRENT_SINCE} and later), so build a copy with CREATE INDEX CONCURRENTLY, drop the old index concurrently and rename the copy`
          : "";
        return {
          statement,
          message: `REINDEX ${target} blocks writes to the table, and queries using the index, until the rebuild ends${older}`,
        };
      });
  },
};
