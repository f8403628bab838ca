import type { App } from "@slack/bolt";
import type { SlackDeps } from "../deps.ts";
import { breakGlassConfirmModal } from "./break-glass-confirm.ts";
import type { Modal } from "./modal.ts";
import { rejectReasonModal } from "./reject-reason.ts";
import { rollbackReasonModal } from "./rollback-reason.ts";

/** Every modal's submission listener; adding one: a file with `defineModal({...})`, and one line here. */
const modals: Modal<never>[] = [rejectReasonModal, rollbackReasonModal, breakGlassConfirmModal] as Modal<never>[];

export function registerModals(app: App, deps: SlackDeps): void {
  for (const modal of modals) app.view(modal.callbackId, modal.listener(deps));
}
