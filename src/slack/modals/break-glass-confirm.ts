import * as z from "zod";
import { UsageError } from "../../errors.ts";
import { code, escapeMrkdwn, inertExcerpt } from "../views/blocks.ts";
import { defineModal } from "./modal.ts";
import { openRollbackRequest } from "./open-rollback-request.ts";

/** `rollback … --now` runs at once, through freezes and windows: the approver confirms by typing the version. */
export const breakGlassConfirmModal = defineModal({
  callbackId: "break_glass_confirm",
  title: "Emergency rollback",
  submitLabel: "Roll back now",
  intro: (meta) =>
    [
      `:rotating_light: Roll back ${code(meta.version)} on *${escapeMrkdwn(meta.environment)}* *now*: no approvals, through freezes and deployment windows.`,
      `It is recorded as a policy override and announced in the alert channel. Reason: ${inertExcerpt(meta.reason, 1500)}`,
    ].join("\n"),
  fields: { confirm: { label: "Type the version to confirm", placeholder: "20251101_000001" } },
  meta: z.object({ version: z.string(), environment: z.string(), channelId: z.string().min(1), reason: z.string().min(3).max(2000) }),
  values: z.object({ confirm: z.string().trim().min(1, "Type the version to confirm.") }),
  channelOf: (meta) => meta.channelId,
  async submit({ confirm }, { meta, userId, teamId, deps, client }) {
    if (confirm !== meta.version) throw new UsageError(`"${confirm}" is not ${meta.version}; nothing was rolled back. Type the version exactly.`);
    await openRollbackRequest(deps, client, { ...meta, breakGlass: true, userId, teamId: teamId ?? "" });
  },
});
