import { z } from "zod";
import { verifyMigrations } from "../../runner/index.ts";
import { verifyMessage } from "../views/verify-message.ts";
import { environmentArg, environmentNamed, noExtraWords, parseArguments, refuseSecondWord, versionArg } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const usage = "verify [version] [env]";

export const verifySubcommand = defineSubcommand({
  name: "verify",
  usage,
  summary: "integrity checks: checksums, orphaned objects, invalid indexes",
  parse(words) {
    noExtraWords(words, 2, usage);
    // A first word that starts with a digit is meant as a version (and checked as one).
    const [first, second] = words;
    const versionFirst = first !== undefined && /^\d/.test(first);
    if (!versionFirst) refuseSecondWord(second, "the version comes before the environment", usage);
    const input = versionFirst ? { version: first, environment: second } : { environment: first };
    return parseArguments(z.object({ version: versionArg.optional(), environment: environmentArg.optional() }), input, usage);
  },
  async run(args, { deps, reply }) {
    const environment = environmentNamed(deps.config, args.environment, usage);
    await reply(verifyMessage(await verifyMigrations(environment, await deps.loadCatalog(), args.version)));
  },
});
