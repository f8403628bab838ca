import type { Environment } from "../../config/index.ts";
import { UsageError } from "../../errors.ts";
import { isAcrossTargets, type ChangeRequest } from "../../requests/index.ts";
import { getStatus } from "../../runner/index.ts";
import { migrationToRollBack } from "../commands/rollback.ts";
import { rollbackReasonModal } from "../modals/rollback-reason.ts";
import { openChangeRequest } from "../open-request.ts";
import { describeTargetsRollback, openTargetsRollback, planTargetsRollback } from "../targets-rollback.ts";
import { ACTION } from "../views/action-ids.ts";
import { truncate } from "../views/blocks.ts";
import { noticeMessage } from "../views/error-message.ts";
import type { ClickHandler } from "./click.ts";

export const requestRollbackAction = ACTION.requestRollback;

/**
 * "Request rollback" on a failed apply: asks (with approvals, like any rollback) to roll back the latest
 * version of that request that did get applied. A failed migration's own transaction left nothing
 * behind, so when nothing of the request is applied there is nothing to roll back, and it says so.
 */
/**
 * After a failed apply across targets: what that request applied on each database (target_runs), newest
 * first, in one request with the environment's approvals; the reason modal says what rolls back where.
 */
async function rollBackAcrossTargets({ click, request, deps, client }: Parameters<ClickHandler>[0], environment: Environment): ReturnType<ClickHandler> {
  const plan = await planTargetsRollback(deps, environment, request);
  const detail = { versions: plan.pins.versions, databases: plan.databases.length };
  if (click.triggerId) {
    // The modal's metadata holds it: many targets are cut short here, the request message lists them all.
    const what = truncate(describeTargetsRollback(plan), 1400);
    await rollbackReasonModal.open(client, click.triggerId, { version: plan.pins.versions[0]!, environment: environment.name, channelId: request.channelId ?? "", afterRequestId: request.id, what });
    return { outcome: "asked_for_reason", detail };
  }
  const rollback = await openTargetsRollback(deps, client, { environment, after: request, reason: afterFailedReason(request), userId: click.userId, teamId: click.teamId ?? "", channelId: request.channelId ?? "" });
  return { outcome: "requested", detail: { rollbackRequestId: rollback.id, ...detail } };
}

function afterFailedReason(request: ChangeRequest): string {
  return `after failed request ${request.id.slice(0, 8)}: ${(request.error ?? "failed").slice(0, 300)}`;
}

export const onRequestRollback: ClickHandler = async ({ click, request, deps, client, tell }) => {
  const environment = deps.config.environments[request.environment];
  if (!environment || request.kind !== "apply" || request.status !== "failed") {
    await tell(noticeMessage("Only a failed apply request offers a rollback; nothing changed."));
    return { outcome: "not_failed" };
  }
  if (isAcrossTargets(request.checksums)) return rollBackAcrossTargets({ click, request, deps, client, tell }, environment);
  const catalog = await deps.loadCatalog();
  const status = await getStatus(environment, catalog);
  const applied = request.versions.filter((version) => status.migrations.some((m) => m.version === version && m.state === "applied"));
  const latest = applied.at(-1);
  if (!latest) {
    throw new UsageError("nothing to roll back: no version of this request is applied (the failed one was undone by its transaction)", {
      hint: `\`/migrate status ${environment.name}\` shows the states.`,
    });
  }
  const migration = await migrationToRollBack(environment, catalog, latest);
  if (click.triggerId) {
    await rollbackReasonModal.open(client, click.triggerId, { version: migration.version, environment: environment.name, channelId: request.channelId ?? "", afterRequestId: request.id });
    return { outcome: "asked_for_reason", detail: { version: latest } };
  }
  const rollback = await openChangeRequest(deps, client, {
    kind: "rollback",
    environment,
    migrations: [migration],
    reason: afterFailedReason(request),
    userId: click.userId,
    teamId: click.teamId ?? "",
    channelId: request.channelId ?? "",
  });
  return { outcome: "requested", detail: { rollbackRequestId: rollback.id, version: latest } };
};
