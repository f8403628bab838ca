import { isNonTransactional } from "../parse.ts";
import type { Rule } from "../types.ts";

/** Session settings travel with any statement; they do not make a file "mixed". */
const NEUTRAL = new Set(["VariableSetStmt"]);

export const mixingNonTransactionalStatements: Rule = {
  id: "mixing-non-transactional-statements",
  severity: "error",
  why: "A file holding CREATE INDEX CONCURRENTLY (or another statement that cannot run in a transaction) runs statement by statement: a failure halfway leaves the rest applied.",
  safeWay: "Put each non-transactional statement (CREATE/DROP INDEX CONCURRENTLY, VACUUM, ...) in a migration file of its own.",
  check: ({ migration }) => {
    const first = migration.statements.find(isNonTransactional);
    const others = migration.statements.filter((statement) => !isNonTransactional(statement) && !NEUTRAL.has(statement.kind));
    if (!first || others.length === 0) return [];
    return [
      {
        statement: first,
        message: `this statement cannot run in a transaction, so the ${others.length} other statement(s) of the file run without one too: a failure leaves the file half applied`,
      },
    ];
  },
};
