import { parseVersion } from "../catalog/index.ts";
import { UsageError } from "../errors.ts";
import { proveRollback } from "../runner/prove.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand } from "./command.ts";
import { runCommand, targetFor } from "./format.ts";

const HELP = `Usage: rookery prove VERSION [--env NAME]

Proves the rollback of a pending migration on a scratch copy of the environment's schema (a new
database from pg_dump --schema-only, dropped afterwards): apply, rollback, compare the catalog
(tables, columns and types, defaults, constraints, indexes, views, functions, triggers, policies,
types) with the schema before, then apply again. The environment's own database is only read.

${COMMON_HELP}
Exit 1 when the rollback does not restore the schema (every difference is named) or the version is already
applied on the environment (as rehearse); 2 for a usage error.`;

export const proveCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, {}, async ({ values, positionals }) => {
      if (positionals.length !== 1) throw new UsageError("prove needs exactly one VERSION", { hint: "rookery prove 20251101_000001 --env staging" });
      const version = parseVersion(positionals[0]!);
      const { environment, catalog } = targetFor(values, io);
      const proof = await proveRollback(environment, catalog, version);
      if (values.json) printJson(io, proof);
      else if (proof.ok) io.stdout(`${version}: rollback proven on a copy of ${environment.name}'s schema (apply, rollback, apply)\n`);
      else io.stdout(`${version}: rollback NOT proven on a copy of ${environment.name}'s schema:\n${proof.differences.map((line) => `  ${line}`).join("\n")}\n`);
      return proof.ok ? EXIT.ok : EXIT.failed;
    }),
};
