import { parseVersion } from "../catalog/index.ts";
import { UsageError } from "../errors.ts";
import { completeExpansion } from "../expand/index.ts";
import { deprecationReport } from "../runner/index.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand } from "./command.ts";
import { cliActor, formatMs, progressTo, runCommand, targetFor } from "./format.ts";
import { enforcePolicyAtCli, POLICY_HELP, POLICY_OPTIONS } from "./policy-gate.ts";

const HELP = `Usage: rookery complete VERSION

The contract phase of an expand-contract migration (docs/expand-contract.md) that \`rookery apply\`
expanded: in one transaction under the lock timeout, the sync triggers go, old columns are dropped,
new ones take their names, NOT NULL is set from the validated checks, tables are renamed or dropped.
The version's schema (\`rookery schema VERSION\`) keeps working over the new shape. Run it once
every instance of the old release is gone.

For a file that drops columns or tables, it first says, per dropped column or table, whether
queries in pg_stat_statements still use it (where the target has it), against
deprecationWindowHours; it informs, it does not stop the contract.

Options:
  --reason TEXT   why the policy is overridden (with --override-policy)

${POLICY_HELP}

${COMMON_HELP}
Exit 1 when VERSION is not expanded here (never expanded, still expanding, completed, rolled back)
or the contract failed (nothing of it is left applied).`;

export const completeCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, { reason: { type: "string" }, ...POLICY_OPTIONS }, async ({ values, positionals }) => {
      if (positionals.length !== 1) {
        throw new UsageError(`complete takes exactly one version, got ${positionals.length}`, { hint: "rookery complete 20251201_000001" });
      }
      const version = parseVersion(positionals[0]!);
      const { environment, catalog, config } = targetFor(values, io);
      // Deployment policy (src/policy): the contract is a change like any apply.
      await enforcePolicyAtCli(io, { config, environment, catalog }, {
        kind: "apply",
        versions: [version],
        overridePolicy: values["override-policy"],
        reason: values.reason,
      });
      // Read before the contract drops them: whether queries still used what it drops (it informs, it does not block).
      const deprecation = await deprecationReport(environment, version, { marks: "plain" });
      const report = await completeExpansion({ environment, catalog, actor: cliActor(io.env), onProgress: progressTo(io) }, { version });
      if (values.json) printJson(io, { ok: true, ...report, ...(deprecation ? { deprecation } : {}) });
      else {
        for (const line of deprecation?.lines ?? []) io.stdout(`${line}\n`);
        io.stdout(`${report.version}  completed  ${formatMs(report.durationMs)}  the new release keeps search_path ${report.versionSchema}\n`);
      }
      return EXIT.ok;
    }),
};
