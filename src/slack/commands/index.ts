import type { App } from "@slack/bolt";
import type { SlackDeps } from "../deps.ts";
import { applySubcommand } from "./apply.ts";
import { baselineSubcommand } from "./baseline.ts";
import { completeSubcommand } from "./complete.ts";
import { freezeSubcommand } from "./freeze.ts";
import { healthSubcommand } from "./health.ts";
import { helpSubcommand } from "./help.ts";
import { historySubcommand } from "./history.ts";
import { migrateListener } from "./migrate.ts";
import { planSubcommand } from "./plan.ts";
import { rehearseSubcommand } from "./rehearse.ts";
import { resumeSubcommand } from "./resume.ts";
import { rollbackSubcommand } from "./rollback.ts";
import { statsSubcommand } from "./stats.ts";
import { statusSubcommand } from "./status.ts";
import type { Subcommand } from "./subcommand.ts";
import { unfreezeSubcommand } from "./unfreeze.ts";
import { verifySubcommand } from "./verify.ts";

/**
 * Every `/migrate` subcommand, in the order `/migrate help` lists them.
 * Adding one: a file exporting `defineSubcommand({...})`, and one line here.
 */
const subcommands: Subcommand[] = [
  helpSubcommand(() => subcommands),
  statusSubcommand,
  planSubcommand,
  historySubcommand,
  healthSubcommand,
  verifySubcommand,
  applySubcommand,
  rollbackSubcommand,
  resumeSubcommand,
  baselineSubcommand,
  completeSubcommand,
  rehearseSubcommand,
  statsSubcommand,
  freezeSubcommand,
  unfreezeSubcommand,
];

export function registerCommands(app: App, deps: SlackDeps): void {
  app.command("/migrate", migrateListener(subcommands, deps));
}
