import * as z from "zod";
import { parseVersion } from "../catalog/index.ts";
import { RookeryError, UsageError } from "../errors.ts";
import { rehearsalLines, rehearsalOk, rehearsalRefusal, rehearse } from "../runner/rehearse.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand } from "./command.ts";
import { cliActor, progressTo, runCommand, targetFor } from "./format.ts";
import { enforcePolicyAtCli } from "./policy-gate.ts";

const HELP = `Usage: rookery rehearse VERSION --env staging [--clients N] [--seconds S] [--query SQL]...

Rehearses a migration under load, then undoes it: N probe clients run reads and writes (writes in a
transaction that is rolled back) on the tables the migration touches, a baseline is measured for S
seconds, the migration is applied while the probes keep running (measured for as long as the apply,
and at least S seconds), then it is rolled back with its rollback file. An expand-contract file needs no rollback
file: it is expanded under load, its complete runs under load in a transaction that is rolled back
(a second window, as long as complete's transaction and at least S seconds), then the expansion is
aborted. Prints throughput,
p50/p95/p99/max latency, lock waits (probe queries slower than --slow-ms, and pg_locks samples naming
who blocked the probes) and errors, baseline beside during, with the impact in percent.

Refused on production, and on any environment with requireStaging (those are production-like), and
while the environment is frozen or outside its deployment windows (a rehearsal applies for real).
The version must be pending there and have a rollback file.

Options:
  --clients N     concurrent probe connections (default 4)
  --seconds S     length of the baseline window, and the least length of the during window (default 5)
  --query SQL     a probe statement instead of the default workload (repeat for several)
  --slow-ms MS    a probe query slower than this counts as a lock wait (default 100)

${COMMON_HELP}
Exit 1 when refused, when the apply, the complete (expand-contract) or the rollback failed (the report
says which).`;

const Numbers = z.object({
  clients: z.coerce.number().int().min(1).max(64).default(4),
  seconds: z.coerce.number().positive().max(600).default(5),
  slowMs: z.coerce.number().positive().default(100),
});

function parseNumbers(values: { clients?: string; seconds?: string; "slow-ms"?: string }) {
  const parsed = Numbers.safeParse({ clients: values.clients, seconds: values.seconds, slowMs: values["slow-ms"] });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `--${String(issue.path[0]).replace("slowMs", "slow-ms")}: ${issue.message}`);
    throw new UsageError(`invalid options: ${problems.join("; ")}`, { hint: "--clients 1-64, --seconds up to 600, --slow-ms a positive number." });
  }
  return parsed.data;
}

export const rehearseCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(
      args,
      io,
      {
        clients: { type: "string" },
        seconds: { type: "string" },
        query: { type: "string", multiple: true },
        "slow-ms": { type: "string" },
      },
      async ({ values, positionals }) => {
        if (positionals.length !== 1) {
          throw new UsageError(`rehearse takes exactly one version, got ${positionals.length}`, {
            hint: "rookery rehearse 20251101_000001 --env staging",
          });
        }
        const version = parseVersion(positionals[0]!);
        const numbers = parseNumbers(values);
        const { environment, catalog, config } = targetFor(values, io);
        // Refused on a production-like environment whatever its policy says: said before the policy is
        // asked (a refusal listing a freeze or an unproven rollback there would send a user fixing those).
        const refusal = rehearsalRefusal(environment);
        if (refusal) throw new RookeryError(refusal, { hint: "Rehearse on staging (or another non-production environment)." });
        // A rehearsal applies for real: freezes and windows hold for it as for any apply.
        await enforcePolicyAtCli(io, { config, environment, catalog }, { kind: "apply", versions: [version], overridePolicy: false, reason: undefined });
        const report = await rehearse(environment, catalog, version, {
          clients: numbers.clients,
          baselineSeconds: numbers.seconds,
          slowQueryMs: numbers.slowMs,
          ...(values.query ? { queries: values.query } : {}),
          actor: cliActor(io.env),
          onProgress: progressTo(io),
        });
        const ok = rehearsalOk(report);
        if (values.json) printJson(io, { ok, ...report });
        else io.stdout(`${rehearsalLines(report).join("\n")}\n`);
        return ok ? EXIT.ok : EXIT.failed;
      },
    ),
};
