import { planMigrations } from "../runner/index.ts";
import type { PlanStep } from "../runner/types.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { analysisNotes, findingsText, runCommand, summarize, table, targetFor, type MigrationSummary } from "./format.ts";

const HELP = `Usage: rookery plan

What \`rookery apply --all\` would do, in order, without doing it: each pending migration, whether
it re-applies a rolled back or failed version, whether it runs outside a transaction, whether a
rollback script is there, its type (with the document's downtime, strategy and rollback complexity)
and its lint findings. A migration with a syntax error is named by file, line and column, and the
plan exits 1: \`apply\` would refuse to start.

${COMMON_HELP}`;

function notes(step: PlanStep): string {
  return [
    step.reapply ? "re-apply" : "",
    step.outsideTransaction ? "outside a transaction" : "",
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
  io.stdout(analysisNotes(steps));
}

export const planCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, {}, async ({ values }) => {
      const { environment, catalog } = targetFor(values, io);
      const planned = await planMigrations(environment, catalog);
      const summaries = await summarize(planned.flatMap((step) => catalog.byVersion.get(step.version) ?? []));
      const steps: SummarizedStep[] = planned.map((step) => ({ ...step, ...summaries.get(step.version) }));
      const runnable = steps.every((step) => !step.syntaxError);
      if (values.json) printJson(io, { ok: runnable, environment: environment.name, steps });
      else printPlan(io, environment.name, steps);
      return runnable ? EXIT.ok : EXIT.failed;
    }),
};
