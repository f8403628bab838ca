import type { App } from "@slack/bolt";
import type { SlackDeps } from "../deps.ts";
import { approveAction, onApprove } from "./approve.ts";
import { buttonListener, type ClickHandler } from "./click.ts";
import { onOverride, overrideAction } from "./override.ts";
import { onReject, rejectAction } from "./reject.ts";
import { onRequestRollback, requestRollbackAction } from "./request-rollback.ts";
import { keepWatchAction, onKeepWatch } from "./keep-watch.ts";
import { onRollBackNow, rollBackNowAction } from "./roll-back-now.ts";

/** Every button of a request message; adding one: a file with its handler, and one line here. */
const buttons: [actionId: string, auditName: string, handler: ClickHandler][] = [
  [approveAction, "approve", onApprove],
  [rejectAction, "reject", onReject],
  [overrideAction, "override", onOverride],
  [requestRollbackAction, "request_rollback", onRequestRollback],
  [keepWatchAction, "keep_watch", onKeepWatch],
  [rollBackNowAction, "roll_back_now", onRollBackNow],
];

export function registerActions(app: App, deps: SlackDeps): void {
  for (const [actionId, auditName, handler] of buttons) app.action(actionId, buttonListener(auditName, deps, handler));
}
