import { getHealth } from "../../runner/index.ts";
import { healthMessage } from "../views/health-message.ts";
import { hasTargets, readTargets, resolveTargets } from "../../targets/index.ts";
import { targetsHealthMessage } from "../views/targets-health-message.ts";
import { environmentNamed, parseEnvironmentAndTarget } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const usage = "health [env] [--target NAME]";

export const healthSubcommand = defineSubcommand({
  name: "health",
  usage,
  summary: "the migration_health view: what is new, healthy, failed or rolled back",
  parse: (words) => parseEnvironmentAndTarget(words, usage),
  async run(args, { deps, reply }) {
    const environment = environmentNamed(deps.config, args.environment, usage);
    if (hasTargets(environment) || args.target !== undefined) {
      await reply(targetsHealthMessage(environment.name, await readTargets(resolveTargets(deps.config, environment, args.target), undefined, (database) => getHealth(database))));
      return;
    }
    await reply(healthMessage(environment.name, await getHealth(environment)));
  },
});
