import type { webApi } from "@slack/bolt";
import { UsageError } from "../../errors.ts";
import { migrationToRollBack } from "../commands/rollback.ts";
import type { SlackDeps } from "../deps.ts";
import { openChangeRequest } from "../open-request.ts";

/**
 * What a submitted rollback modal does: the version is checked again (the modal may have stayed open
 * while the ledger moved on), then the request opens as a command's would.
 */
export async function openRollbackRequest(
  deps: SlackDeps,
  client: webApi.WebClient,
  input: { environment: string; version: string; reason: string; breakGlass?: boolean; userId: string; teamId: string; channelId: string },
): Promise<void> {
  const environment = deps.config.environments[input.environment];
  if (!environment) throw new UsageError(`unknown environment "${input.environment}"`);
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
