import type { webApi } from "@slack/bolt";
import { UsageError } from "../../errors.ts";
import { migrationToRollBack } from "../commands/rollback.ts";
import type { SlackDeps } from "../deps.ts";
import { openChangeRequest } from "../open-request.ts";
import { getRequest } from "../../requests/index.ts";
import { openTargetsRollback, openVersionRollback } from "../targets-rollback.ts";

/**
 * What a submitted rollback modal does: the version is checked again (the modal may have stayed open
 * while the ledger moved on), then the request opens as a command's would.
 */
export async function openRollbackRequest(
  deps: SlackDeps,
  client: webApi.WebClient,
  input: { environment: string; version: string; reason: string; breakGlass?: boolean; userId: string; teamId: string; channelId: string; afterRequestId?: string; target?: string },
): Promise<void> {
  const environment = deps.config.environments[input.environment];
  if (!environment) throw new UsageError(`unknown environment "${input.environment}"`);
  // After a failed apply across targets the plan is made again: the ledgers may have moved while the modal was open.
  if (input.afterRequestId) {
    const after = await getRequest(deps.control, input.afterRequestId);
    if (!after) throw new UsageError(`request ${input.afterRequestId.slice(0, 8)} no longer exists`);
    await openTargetsRollback(deps, client, { environment, after, reason: input.reason, userId: input.userId, teamId: input.teamId, channelId: input.channelId });
    return;
  }
  if (input.target !== undefined) {
    await openVersionRollback(deps, client, { environment, target: input.target, version: input.version, reason: input.reason, userId: input.userId, teamId: input.teamId, channelId: input.channelId });
    return;
  }
  const migration = await migrationToRollBack(environment, await deps.loadCatalog(), input.version);
  await openChangeRequest(deps, client, {
    kind: "rollback",
    environment,
    migrations: [migration],
    reason: input.reason,
    ...(input.breakGlass ? { breakGlass: true } : {}),
    userId: input.userId,
    teamId: input.teamId,
    channelId: input.channelId,
  });
}
