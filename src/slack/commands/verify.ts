import * as z from "zod";
import { verifyMigrations } from "../../runner/index.ts";
import { verifyMessage } from "../views/verify-message.ts";
import { hasTargets, readTargets, resolveTargets } from "../../targets/index.ts";
import { targetsVerifyMessage } from "../views/targets-verify-message.ts";
import { environmentArg, environmentNamed, noExtraWords, parseArguments, refuseSecondWord, takeTarget, versionArg } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const usage = "verify [version] [env] [--target NAME]";

export const verifySubcommand = defineSubcommand({
  name: "verify",
  usage,
  summary: "integrity checks: checksums, orphaned objects, invalid indexes",
  parse(typed) {
    const { words, target } = takeTarget(typed, usage);
    noExtraWords(words, 2, usage);
    // A first word that starts with a digit is meant as a version (and checked as one).
    const [first, second] = words;
    const versionFirst = first !== undefined && /^\d/.test(first);
    if (!versionFirst) refuseSecondWord(second, "the version comes before the environment", usage);
    const input = versionFirst ? { version: first, environment: second } : { environment: first };
    return { ...parseArguments(z.object({ version: versionArg.optional(), environment: environmentArg.optional() }), input, usage), ...(target === undefined ? {} : { target }) };
  },
  async run(args, { deps, reply }) {
    const environment = environmentNamed(deps.config, args.environment, usage);
    if (hasTargets(environment) || args.target !== undefined) {
      const results = await readTargets(resolveTargets(deps.config, environment, args.target), undefined, (database, catalog) => verifyMigrations(database, catalog, args.version));
      await reply(targetsVerifyMessage(environment.name, args.version, results));
      return;
    }
    await reply(verifyMessage(await verifyMigrations(environment, await deps.loadCatalog(), args.version)));
  },
});
