import type { Catalog, Migration } from "../../catalog/index.ts";
import type { Environment } from "../../config/index.ts";
import { planMigrations } from "../../runner/index.ts";
import { assessMigrations } from "../request-card.ts";
import { planMessage } from "../views/plan-message.ts";
import { hasTargets, readTargets, resolveTargets } from "../../targets/index.ts";
import { targetsPlanMessage, type PlannedStep } from "../views/targets-plan-message.ts";
import { environmentNamed, parseEnvironmentAndTarget } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const usage = "plan [env] [--target NAME]";

/** One database's pending steps with their type and lint findings, as the single-database answer and `rookery plan` analyse them. */
async function planWithFindings(environment: Environment, catalog: Catalog): Promise<PlannedStep[]> {
  const steps = await planMigrations(environment, catalog);
  const { analyses } = await assessMigrations(environment, steps.flatMap((step) => catalog.byVersion.get(step.version) ?? []), catalog);
  return steps.map((step) => {
    const analysis = analyses.find((candidate) => candidate.version === step.version);
    return analysis ? { ...step, type: analysis.type, findings: analysis.findings } : step;
  });
}

export const planSubcommand = defineSubcommand({
  name: "plan",
  usage,
  summary: "what `apply all` would run, in order, with type and lint findings",
  parse: (words) => parseEnvironmentAndTarget(words, usage),
  async run(args, { deps, reply }) {
    const environment = environmentNamed(deps.config, args.environment, usage);
    if (hasTargets(environment) || args.target !== undefined) {
      await reply(targetsPlanMessage(environment.name, await readTargets(resolveTargets(deps.config, environment, args.target), undefined, planWithFindings)));
      return;
    }
    const catalog = await deps.loadCatalog();
    const steps = await planMigrations(environment, catalog);
    const migrations = steps.map((step) => catalog.byVersion.get(step.version)).filter((m): m is Migration => m !== undefined);
    const { analyses } = await assessMigrations(environment, migrations, catalog);
    const planned = steps.flatMap((step) => {
      const analysis = analyses.find((candidate) => candidate.version === step.version);
      return analysis ? [{ step, analysis }] : [];
    });
    await reply(planMessage(environment.name, planned));
  },
});
