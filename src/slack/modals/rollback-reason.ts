import * as z from "zod";
import { UsageError } from "../../errors.ts";
import { code, escapeMrkdwn } from "../views/blocks.ts";
import { defineModal } from "./modal.ts";
import { openRollbackRequest } from "./open-rollback-request.ts";

/** The request stores at most 2,000 characters; a rollback after a failed request is prefixed with which one. */
const MAX_REASON = 1900;

export const RollbackReasonMeta = z.object({
  version: z.string(),
  environment: z.string(),
  channelId: z.string().min(1),
  /** Set when it comes from a failed apply's Request rollback button. */
  afterRequestId: z.uuid().optional(),
  /** `--target NAME`: the version on one target of an environment with targets. */
  target: z.string().optional(),
  /** After a failed apply across targets: what rolls back where, in one line (src/slack/targets-rollback.ts). */
  what: z.string().max(1500).optional(),
});

/**
 * A rollback needs a reason (it is kept in the ledger and the audit log): `/migrate rollback <version> <env>`
 * without one, and Request rollback on a failed apply, ask for it here.
 */
export const rollbackReasonModal = defineModal({
  callbackId: "rollback_reason",
  title: "Request rollback",
  submitLabel: "Request",
  intro: (meta: z.infer<typeof RollbackReasonMeta>) =>
    `Request a rollback of ${meta.what ? `what request ${code(meta.afterRequestId?.slice(0, 8) ?? "")} applied, newest first: ${escapeMrkdwn(meta.what)}` : code(meta.version)} on *${escapeMrkdwn(meta.environment)}*${meta.target ? ` (target *${escapeMrkdwn(meta.target)}*)` : ""}. It needs the usual approvals; the reason is kept in the history.`,
  fields: { reason: { label: "Why roll it back?", multiline: true, maxLength: MAX_REASON, placeholder: "What broke, who noticed" } },
  meta: RollbackReasonMeta,
  values: z.object({ reason: z.string().trim().min(3, "A reason is required: say why it is rolled back.").max(MAX_REASON, `Keep the reason under ${MAX_REASON} characters.`) }),
  channelOf: (meta) => meta.channelId,
  async submit({ reason }, { meta, userId, teamId, deps, client }) {
    await openRollbackRequest(deps, client, {
      version: meta.version,
      environment: meta.environment,
      channelId: meta.channelId,
      ...(meta.target ? { target: meta.target } : {}),
      ...(meta.what && meta.afterRequestId ? { afterRequestId: meta.afterRequestId } : {}),
      reason: meta.afterRequestId ? `after failed request ${meta.afterRequestId.slice(0, 8)}: ${reason}` : reason,
      userId,
      teamId: teamId ?? "",
    });
  },
});
