import * as z from "zod";
import { RookeryError } from "../../errors.ts";
import { mayApprove } from "../../policy/approval.ts";
import { audit, getRequest, rejectRequest } from "../../requests/index.ts";
import { REJECTED_ACTION } from "../request-card.ts";
import { refreshRequestMessage } from "../request-updates.ts";
import { postMessage } from "../send.ts";
import { slackGroupResolver } from "../user-groups.ts";
import { code, escapeMrkdwn, sections, userMention } from "../views/blocks.ts";
import { defineModal } from "./modal.ts";

/** Reject asks why: the reason is audited, shown on the message, and whole in its thread. */
export const rejectReasonModal = defineModal({
  callbackId: "reject_reason",
  title: "Reject request",
  submitLabel: "Reject",
  intro: (meta) => `Reject request ${code(meta.requestId.slice(0, 8))}? Nothing of it will run; the requester sees your reason.`,
  fields: { reason: { label: "Why is it rejected?", multiline: true, maxLength: 2000, placeholder: "What to change before asking again" } },
  meta: z.object({ requestId: z.uuid() }),
  values: z.object({ reason: z.string().trim().min(3, "Say why in a few words (at least 3 characters).").max(2000, "Keep it under 2,000 characters.") }),
  async submit({ reason }, { meta, userId, teamId, deps, client }) {
    const request = await getRequest(deps.control, meta.requestId);
    if (!request) throw new RookeryError("This request no longer exists; nothing changed.");
    const environment = deps.config.environments[request.environment];
    if (!environment || !(await mayApprove(environment, userId, slackGroupResolver(client)))) {
      throw new RookeryError(`You are not an approver for ${request.environment}; nothing changed.`);
    }
    const { outcome, request: after } = await rejectRequest(deps.control, request.id, userId, deps.now());
    if (outcome === "not_pending") throw new RookeryError(`This request is already ${(after ?? request).status}; nothing changed.`);
    await audit(deps.control, { actor: userId, teamId, action: REJECTED_ACTION, requestId: request.id, environment: request.environment, detail: { reason } });
    const current = after ?? request;
    await refreshRequestMessage(deps, client, current);
    if (current.channelId && current.messageTs) {
      await postMessage(client, { channel: current.channelId, threadTs: current.messageTs }, {
        text: `Rejected by ${userId}: ${reason}`,
        blocks: sections(`:no_entry_sign: Rejected by ${userMention(userId)}: ${escapeMrkdwn(reason)}`),
      });
    }
  },
});
