import { getStatus } from "../../runner/index.ts";
import { statusMessage } from "../views/status-message.ts";
import { targetsStatusMessage } from "../views/targets-status-message.ts";
import { hasTargets, readTargets, resolveTargets } from "../../targets/index.ts";
import { environmentNamed, parseOptionalEnvironment } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const usage = "status [env]";

export const statusSubcommand = defineSubcommand({
  name: "status",
  usage,
  summary: "current version; applied, pending, failed, rolled back; drift",
  parse: (words) => parseOptionalEnvironment(words, usage),
  async run(args, { deps, reply }) {
    const environment = environmentNamed(deps.config, args.environment, usage);
    if (hasTargets(environment)) {
      await reply(targetsStatusMessage(environment.name, await readTargets(resolveTargets(deps.config, environment), undefined, getStatus)));
      return;
    }
    await reply(statusMessage(await getStatus(environment, await deps.loadCatalog())));
  },
});
