import { parseVersion } from "../catalog/index.ts";
import { RookeryError, UsageError } from "../errors.ts";
import { readExpansion } from "../ledger/index.ts";
import { withLedgerClient } from "../session/session.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand } from "./command.ts";
import { configFor, runCommand } from "./format.ts";

const HELP = `Usage: rookery schema VERSION --env NAME

Prints the name of the schema of views of an expand-contract migration, for deploy scripts: the
new release sets \`search_path\` to it (then public), e.g.
  PGOPTIONS="-c search_path=$(rookery schema 20251201_000001 --env production),public"

${COMMON_HELP}
Exit 1 when VERSION is not expanded or completed on the environment (the schema does not exist).`;

export const schemaCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, {}, async ({ values, positionals }) => {
      if (positionals.length !== 1) throw new UsageError(`schema takes exactly one version, got ${positionals.length}`, { hint: "rookery schema 20251201_000001 --env production" });
      const version = parseVersion(positionals[0]!);
      const { environment } = configFor(values, io);
      const expansion = await withLedgerClient(environment, (client) => readExpansion(client, environment.ledgerSchema, version));
      if (!expansion || (expansion.state !== "expanded" && expansion.state !== "completed")) {
        throw new RookeryError(`${version} has no schema on ${environment.name}: it is ${expansion ? expansion.state : "not an expand-contract migration expanded here"}`, {
          hint: `Expand it first: rookery apply ${version} --env ${environment.name}`,
        });
      }
      if (values.json) printJson(io, { ok: true, version, environment: environment.name, state: expansion.state, schema: expansion.versionSchema });
      else io.stdout(`${expansion.versionSchema}\n`);
      return EXIT.ok;
    }),
};
