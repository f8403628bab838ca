import { dottedName } from "../tree.ts";
import type { Rule } from "../types.ts";

export const banAlterDomainWithAddConstraint: Rule = {
  id: "ban-alter-domain-with-add-constraint",
  severity: "error",
  why: "ALTER DOMAIN ... ADD CONSTRAINT checks every column of every table using the domain at once, locking them while it scans.",
  safeWay: "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration; or put a CHECK on the tables themselves.",
  check: ({ migration }) =>
    migration.statements
      .filter((statement) => statement.kind === "AlterDomainStmt" && statement.node.subtype === "C")
      .filter((statement) => (statement.node.def as { Constraint?: { skip_validation?: boolean } } | undefined)?.Constraint?.skip_validation !== true)
      .map((statement) => ({
        statement,
        message: `the new constraint on domain ${dottedName(statement.node.typeName)} is checked against every row of every table that uses it, and writes to them wait`,
      })),
};
