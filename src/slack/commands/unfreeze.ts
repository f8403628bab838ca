import * as z from "zod";
import { mayApprove } from "../../policy/approval.ts";
import { unfreezeEnvironment } from "../../policy/freeze.ts";
import { slackGroupResolver } from "../user-groups.ts";
import { context, escapeMrkdwn, inertExcerpt, section, userMention, type SlackMessage } from "../views/blocks.ts";
import { noticeMessage } from "../views/error-message.ts";
import { environmentArg, environmentNamed, noExtraWords, parseArguments } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const USAGE = "unfreeze <env>";

const UnfreezeArgs = z.object({ environment: environmentArg });

function unfrozenMessage(environment: string, userId: string, frozenBy: string, reason: string): SlackMessage {
  return {
    text: `${environment} is unfrozen by ${userId}`,
    blocks: [
      section(`:sunny: *${escapeMrkdwn(environment)}* is unfrozen by ${userMention(userId)}.`),
      context(`It was frozen by ${userMention(frozenBy)}: ${inertExcerpt(reason, 2900)}`),
    ],
  };
}

/** `/migrate unfreeze production`: approvers only. */
export const unfreezeSubcommand = defineSubcommand({
  name: "unfreeze",
  usage: USAGE,
  summary: "lift an environment's freeze (approvers)",
  parse(words) {
    noExtraWords(words, 1, USAGE);
    return parseArguments(UnfreezeArgs, { environment: words[0] }, USAGE);
  },
  async run(args, { invocation, deps, client, reply, replyPrivately }) {
    const environment = environmentNamed(deps.config, args.environment, USAGE);
    if (!(await mayApprove(environment, invocation.userId, slackGroupResolver(client)))) {
      await replyPrivately(noticeMessage(`Only ${environment.name}'s approvers may unfreeze it.`, "Ask one of them."));
      return;
    }
    const lifted = await unfreezeEnvironment(deps.control, { environment: environment.name, by: invocation.userId });
    await reply(unfrozenMessage(environment.name, invocation.userId, lifted.frozenBy, lifted.reason));
  },
});
