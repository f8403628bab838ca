import type { Migration } from "../catalog/index.ts";
import { RookeryError, UsageError } from "../errors.ts";

/** The file asks for something that cannot run in two phases: refused before anything runs. */
export class ExpandRefusedError extends UsageError {
  readonly problems: string[];

  constructor(path: string, problems: string[]) {
    super(`${path} cannot run as expand-contract:\n${problems.map((problem) => `  ${problem}`).join("\n")}`, {
      hint: "Nothing was run. Fix these statements, or drop `-- rookery:expand-contract` and run the file as a plain migration.",
    });
    this.problems = problems;
  }
}

/** Another version's expansion is open on one of the tables. */
export class ExpansionConflictError extends RookeryError {
  constructor(version: string, other: string, tables: string[]) {
    super(`${version} cannot expand: ${other} is still expanded on ${tables.join(", ")} (one expansion per table at a time)`, {
      hint: `Complete it (rookery complete ${other}) or roll it back (rookery rollback ${other} --reason ...) first.`,
    });
  }
}

/** Two expand-contract files of one run touch the same table: the second could expand only once the first is completed. */
export class ExpansionsInOneRunError extends UsageError {
  constructor(first: Migration, second: Migration, tables: string[]) {
    super(`${first.path} and ${second.path} both expand ${tables.join(", ")} in this run (one expansion per table at a time)`, {
      hint: `Nothing was run. Apply ${first.version} alone (rookery apply ${first.version}), deploy, complete it (rookery complete ${first.version}), then apply ${second.version}; or put both changes in one file.`,
    });
  }
}

/** complete or abort asked of a version in the wrong phase. */
export class ExpansionStateError extends RookeryError {}
