import type { Migration } from "../../catalog/index.ts";
import { planMigrations } from "../../runner/index.ts";
import { assessMigrations } from "../request-card.ts";
import { planMessage } from "../views/plan-message.ts";
import { environmentNamed, parseOptionalEnvironment } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const usage = "plan [env]";

export const planSubcommand = defineSubcommand({
  name: "plan",
  usage,
  summary: "what `apply all` would run, in order, with type and lint findings",
  parse: (words) => parseOptionalEnvironment(words, usage),
  async run(args, { deps, reply }) {
    const environment = environmentNamed(deps.config, args.environment, usage);
    const catalog = await deps.loadCatalog();
    const steps = await planMigrations(environment, catalog);
    const migrations = steps.map((step) => catalog.byVersion.get(step.version)).filter((m): m is Migration => m !== undefined);
    const { analyses } = await assessMigrations(environment, migrations);
    const planned = steps.flatMap((step) => {
      const analysis = analyses.find((candidate) => candidate.version === step.version);
      return analysis ? [{ step, analysis }] : [];
    });
    await reply(planMessage(environment.name, planned));
  },
});
