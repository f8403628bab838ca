import { getHealth } from "../../runner/index.ts";
import { healthMessage } from "../views/health-message.ts";
import { environmentNamed, parseOptionalEnvironment } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const usage = "health [env]";

export const healthSubcommand = defineSubcommand({
  name: "health",
  usage,
  summary: "the migration_health view: what is new, healthy, failed or rolled back",
  parse: (words) => parseOptionalEnvironment(words, usage),
  async run(args, { deps, reply }) {
    const environment = environmentNamed(deps.config, args.environment, usage);
    await reply(healthMessage(environment.name, await getHealth(environment)));
  },
});
