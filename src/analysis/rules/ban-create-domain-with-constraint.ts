import { dottedName } from "../tree.ts";
import type { Rule } from "../types.ts";

export const banCreateDomainWithConstraint: Rule = {
  id: "ban-create-domain-with-constraint",
  severity: "warning",
  why: "A domain's CHECK cannot be changed later without ALTER DOMAIN, which re-checks every table using it under lock.",
  safeWay: "Create the domain without a constraint and put the CHECK on the columns' tables, where it can be added NOT VALID.",
  check: ({ migration }) =>
    migration.statements
      .filter((statement) => statement.kind === "CreateDomainStmt")
      .filter((statement) => ((statement.node.constraints as { Constraint?: { contype?: string } }[] | undefined) ?? []).some((entry) => entry.Constraint?.contype === "CONSTR_CHECK"))
      .map((statement) => ({
        statement,
        message: `domain ${dottedName(statement.node.domainname)} has a CHECK: changing it later re-checks every table that uses the domain while they are locked`,
      })),
};
