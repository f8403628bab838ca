import * as z from "zod";
import { getHistory } from "../../runner/index.ts";
import { hasTargets, readTargets, resolveTargets } from "../../targets/index.ts";
import { historyMessage } from "../views/history-message.ts";
import { targetsHistoryMessage } from "../views/targets-history-message.ts";
import { countArg, environmentArg, environmentNamed, noExtraWords, parseArguments, refuseSecondWord, takeTarget } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const usage = "history [env] [n] [--target NAME]";

export const historySubcommand = defineSubcommand({
  name: "history",
  usage,
  summary: "the last n events (default 10): applied, failed, rolled back, by whom, why",
  parse(all) {
    const { words, target } = takeTarget(all, usage);
    noExtraWords(words, 2, usage);
    // `history 20` and `history production 20` both read naturally: a number is the count.
    const [first, second] = words;
    const countFirst = first !== undefined && /^\d+$/.test(first);
    if (countFirst) refuseSecondWord(second, "the environment comes before the count", usage);
    const input = countFirst ? { count: first } : { environment: first, count: second };
    return { ...parseArguments(z.object({ environment: environmentArg.optional(), count: countArg.default(10) }), input, usage), target };
  },
  async run(args, { deps, reply }) {
    const environment = environmentNamed(deps.config, args.environment, usage);
    if (hasTargets(environment) || args.target !== undefined) {
      const results = await readTargets(resolveTargets(deps.config, environment, args.target), undefined, (each) => getHistory(each, { limit: args.count }));
      await reply(targetsHistoryMessage(environment.name, results, args.count));
      return;
    }
    await reply(historyMessage(environment.name, await getHistory(environment, { limit: args.count })));
  },
});
