import { getStatus } from "../../runner/index.ts";
import { statusMessage } from "../views/status-message.ts";
import { targetsStatusMessage } from "../views/targets-status-message.ts";
import { hasTargets, readTargets, resolveTargets } from "../../targets/index.ts";
import { environmentNamed, parseEnvironmentAndTarget } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const usage = "status [env] [--target NAME]";

export const statusSubcommand = defineSubcommand({
  name: "status",
  usage,
  summary: "current version; applied, pending, failed, rolled back; drift",
  parse: (words) => parseEnvironmentAndTarget(words, usage),
  async run(args, { deps, reply }) {
    const environment = environmentNamed(deps.config, args.environment, usage);
    if (hasTargets(environment) || args.target !== undefined) {
      await reply(targetsStatusMessage(environment.name, await readTargets(resolveTargets(deps.config, environment, args.target), undefined, getStatus)));
      return;
    }
    await reply(statusMessage(await getStatus(environment, await deps.loadCatalog())));
  },
});
