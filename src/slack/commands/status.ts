import { z } from "zod";
import { getStatus } from "../../runner/index.ts";
import { statusMessage } from "../views/status-message.ts";
import { environmentArg, environmentNamed, noExtraWords, parseArguments } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const usage = "status [env]";

export const statusSubcommand = defineSubcommand({
  name: "status",
  usage,
  summary: "current version; applied, pending, failed, rolled back; drift",
  parse(words) {
    noExtraWords(words, 1, usage);
    return parseArguments(z.object({ environment: environmentArg.optional() }), { environment: words[0] }, usage);
  },
  async run(args, { deps, reply }) {
    const environment = environmentNamed(deps.config, args.environment, usage);
    await reply(statusMessage(await getStatus(environment, await deps.loadCatalog())));
  },
});
