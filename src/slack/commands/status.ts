import { getStatus } from "../../runner/index.ts";
import { statusMessage } from "../views/status-message.ts";
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
    await reply(statusMessage(await getStatus(environment, await deps.loadCatalog())));
  },
});
