import type { Catalog } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { planMigrations } from "../runner/index.ts";
import type { PlanStep } from "../runner/types.ts";
import { catalogOf } from "../targets/index.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { analysisNotes, findingsText, runCommand, summarize, table, type MigrationSummary } from "./format.ts";
import { printTargets, readTargets, someNames, TARGET_HELP, TARGET_OPTIONS, targetsFor, targetsJson, type TargetResult } from "./targets.ts";

const HELP = `Usage: rookery plan

What \`rookery apply --all\` would do, in order, without doing it: each pending migration, whether
it re-applies a rolled back or failed version, whether it runs outside a transaction, whether a
rollback script is there, its type (with the document's downtime, strategy and rollback complexity)
and its lint findings. A migration with a syntax error is named by file, line and column, and the
plan exits 1: \`apply\` would refuse to start.

With several targets (docs/targets.md) every target is planned in targetOrder; a fleet's databases
are grouped by what each would apply.

${TARGET_HELP}

${COMMON_HELP}`;

function notes(step: PlanStep): string {
  return [
    step.reapply ? "re-apply" : "",
    step.outsideTransaction ? "outside a transaction" : "",
    step.expandContract ? "expand-contract: apply expands, `rookery complete` contracts" : "",
    step.hasRollback ? "" : "NO ROLLBACK",
  ]
    .filter(Boolean)
    .join(", ");
}

type SummarizedStep = PlanStep & Partial<MigrationSummary>;

function printPlan(io: CliIO, environment: string, steps: SummarizedStep[]): void {
  if (steps.length === 0) {
    io.stdout(`${environment}: nothing to apply, up to date\n`);
    return;
  }
  io.stdout(`${environment}: ${steps.length} migration(s) to apply, in this order\n\n`);
  // Files of another tool's layout: show the version each file names beside the ledger version it maps onto.
  const mapped = steps.some((step) => step.origin.version !== step.version);
  const rows = steps.map((step, index) => [
    `${index + 1}.`,
    step.version,
    ...(mapped ? [`${step.origin.version} (${step.origin.layout})`] : []),
    step.type ?? "-",
    findingsText(step.findings),
    step.path,
    notes(step),
  ]);
  io.stdout(table(rows, ["#", "VERSION", ...(mapped ? ["FILE VERSION"] : []), "TYPE", "LINT", "FILE", "NOTES"]));
  const warnings = steps.flatMap((step) => step.databaseWarnings.map((warning) => `  ${step.path}: ${warning}\n`));
  if (warnings.length > 0) io.stdout(`\nwhat the database says:\n${warnings.join("")}`);
  io.stdout(analysisNotes(steps));
}

async function planWithAnalysis(environment: Environment, catalog: Catalog): Promise<SummarizedStep[]> {
  const planned = await planMigrations(environment, catalog);
  const summaries = await summarize(environment, catalog, planned.flatMap((step) => catalog.byVersion.get(step.version) ?? []));
  return planned.map((step) => ({ ...step, ...summaries.get(step.version) }));
}

/** A fleet's databases grouped by the versions each would apply. */
function printFleetPlan(io: CliIO, environment: string, result: TargetResult<SummarizedStep[]>): void {
  const groups = new Map<string, string[]>();
  for (const database of result.databases) {
    if (!database.report) continue;
    const key = database.report.map((step) => step.version).join(", ") || "nothing (up to date)";
    groups.set(key, [...(groups.get(key) ?? []), database.database]);
  }
  const lines = [`== ${environment}/${result.target}: fleet of ${result.databases.length} database(s) ==`];
  for (const [versions, databases] of groups) lines.push(`${databases.length} would apply ${versions} (${someNames(databases)})`);
  io.stdout(`${lines.join("\n")}\n`);
  const first = result.databases.find((database) => database.report && database.report.length > 0)?.report;
  io.stdout(first ? `${analysisNotes(first)}\n` : "\n");
}

export const planCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, TARGET_OPTIONS, async ({ values }) => {
      const { environment, targets, many, parallel } = targetsFor(values, io);
      if (!many) {
        const steps = await planWithAnalysis(environment, catalogOf(targets[0]!));
        const runnable = steps.every((step) => !step.syntaxError);
        if (values.json) printJson(io, { ok: runnable, environment: environment.name, steps });
        else printPlan(io, environment.name, steps);
        return runnable ? EXIT.ok : EXIT.failed;
      }
      const results = await readTargets(targets, parallel, planWithAnalysis);
      const ok = results.every((result) => result.databases.every((database) => database.report?.every((step) => !step.syntaxError)));
      if (values.json) printJson(io, targetsJson(environment.name, ok, results, (steps) => ({ steps })));
      else printTargets(io, environment.name, results, { fleet: (result) => printFleetPlan(io, environment.name, result), database: (steps) => printPlan(io, environment.name, steps) });
      return ok ? EXIT.ok : EXIT.failed;
    }),
};
