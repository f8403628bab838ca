import * as z from "zod";
import { mayApprove } from "../../policy/approval.ts";
import { findRequest, REQUEST_ID_TEXT, resumeTargetRuns } from "../../requests/index.ts";
import { slackGroupResolver } from "../user-groups.ts";
import { code, escapeMrkdwn, section, userMention, type SlackMessage } from "../views/blocks.ts";
import { noticeMessage } from "../views/error-message.ts";
import { noExtraWords, parseArguments } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const USAGE = "resume <request>";

const ResumeArgs = z.object({ requestId: z.string().regex(REQUEST_ID_TEXT, "give the request's id (it is in the request's message: its first eight characters are enough)") });

function resumedMessage(requestId: string, environment: string, userId: string): SlackMessage {
  return {
    text: `Request ${requestId} on ${environment} resumed by ${userId}`,
    blocks: [section(`:arrow_forward: Request ${code(requestId)} on *${escapeMrkdwn(environment)}* resumed by ${userMention(userId)}: the databases that failed or did not start run now; those applied are not run again.`)],
  };
}

/** `/migrate resume <request>`: a failed request across targets (docs/targets.md) carries on after a fix; the requester or an approver. */
export const resumeSubcommand = defineSubcommand({
  name: "resume",
  usage: USAGE,
  summary: "carry on a failed apply across targets after a fix, skipping applied databases",
  parse(words) {
    noExtraWords(words, 1, USAGE);
    return parseArguments(ResumeArgs, { requestId: words[0] }, USAGE);
  },
  async run(args, { invocation, deps, client, reply, replyPrivately }) {
    const request = await findRequest(deps.control, args.requestId);
    const environment = request ? deps.config.environments[request.environment] : undefined;
    if (!request || !environment) {
      await replyPrivately(noticeMessage(`There is no request ${args.requestId}.`, "The id is in the request's message."));
      return;
    }
    if (request.requestedBy !== invocation.userId && !(await mayApprove(environment, invocation.userId, slackGroupResolver(client)))) {
      await replyPrivately(noticeMessage(`Only the requester or ${environment.name}'s approvers may resume this request.`, "Ask one of them."));
      return;
    }
    await resumeTargetRuns(deps.control, request.id);
    // The worker's reconciler replaces the old job; dispatching now saves a round.
    await deps.dispatchOutbox?.();
    await reply(resumedMessage(request.id, environment.name, invocation.userId));
  },
});
