import * as z from "zod";
import { mayApprove } from "../../policy/approval.ts";
import { describeFreeze, freezeEnvironment } from "../../policy/freeze.ts";
import { slackGroupResolver } from "../user-groups.ts";
import { context, escapeMrkdwn, sections, userMention, type SlackMessage } from "../views/blocks.ts";
import { noticeMessage } from "../views/error-message.ts";
import { environmentArg, environmentNamed, parseArguments } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const USAGE = "freeze <env> <reason...>";

const FreezeArgs = z.object({
  environment: environmentArg,
  reason: z.string().trim().min(1, "a freeze needs a reason"),
});

function frozenMessage(environment: string, userId: string, reason: string): SlackMessage {
  return {
    text: `${environment} is frozen by ${userId}: ${reason}`,
    blocks: [
      ...sections(`:snowflake: *${escapeMrkdwn(environment)}* is frozen by ${userMention(userId)}: ${escapeMrkdwn(reason)}`),
      context(`Every apply and rollback is refused until \`/migrate unfreeze ${escapeMrkdwn(environment)}\`; only a break-glass rollback still runs.`),
    ],
  };
}

/** `/migrate freeze production end-of-quarter close`: approvers only; refusals elsewhere name who froze it and why. */
export const freezeSubcommand = defineSubcommand({
  name: "freeze",
  usage: USAGE,
  summary: "freeze an environment: every change is refused until unfrozen (approvers)",
  parse: (words, rest) => parseArguments(FreezeArgs, { environment: words[0], reason: rest(1) }, USAGE),
  async run(args, { invocation, deps, client, reply, replyPrivately }) {
    const environment = environmentNamed(deps.config, args.environment, USAGE);
    if (!(await mayApprove(environment, invocation.userId, slackGroupResolver(client)))) {
      await replyPrivately(noticeMessage(`Only ${environment.name}'s approvers may freeze it.`, "Ask one of them."));
      return;
    }
    const freeze = await freezeEnvironment(deps.control, { environment: environment.name, reason: args.reason, by: invocation.userId });
    deps.logger.info({ environment: environment.name, by: invocation.userId }, describeFreeze(freeze));
    await reply(frozenMessage(environment.name, invocation.userId, freeze.reason));
  },
});
