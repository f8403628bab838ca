import type { webApi } from "@slack/bolt";
import type { Migration } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { UsageError } from "../errors.ts";
import { listTargetRuns, targetPinKey, type ChangeRequest } from "../requests/index.ts";
import { catalogOf, resolveTargets, rollbackOfRun, type DatabaseRollback } from "../targets/index.ts";
import type { SlackDeps } from "./deps.ts";
import { openChangeRequest } from "./open-request.ts";

export interface TargetsRollback {
  databases: DatabaseRollback[];
  migrations: Migration[];
  pins: { versions: string[]; checksums: Record<string, string> };
}

/**
 * What "Request rollback" undoes after a failed apply across targets (docs/targets.md): on each database,
 * the versions that request recorded as applied there and still applied, newest first. Refused, naming
 * where, when a version has no stored rollback script, its file is gone, or a ledger cannot be read.
 */
export async function planTargetsRollback(deps: SlackDeps, environment: Environment, request: ChangeRequest): Promise<TargetsRollback> {
  const targets = resolveTargets(deps.config, environment);
  const { databases, refusals } = await rollbackOfRun(targets, await listTargetRuns(deps.control, request.id));
  const checksums: Record<string, string> = {};
  const migrations: Migration[] = [];
  for (const target of targets) {
    const versions = [...new Set(databases.filter((database) => database.target === target.name).flatMap((database) => database.versions))];
    const catalog = versions.length > 0 ? catalogOf(target) : undefined;
    for (const version of versions) {
      const migration = catalog?.byVersion.get(version);
      if (!migration) {
        refusals.push(`${target.name}: ${version} is applied but its file is no longer in the target's folder`);
        continue;
      }
      checksums[targetPinKey(target.name, version)] = migration.checksum;
      migrations.push(migration);
    }
  }
  if (refusals.length > 0) {
    throw new UsageError(`request ${request.id.slice(0, 8)} cannot be rolled back as it ran: ${refusals.slice(0, 5).join("; ")}${refusals.length > 5 ? `; and ${refusals.length - 5} more` : ""}`, {
      hint: "Nothing was requested. Roll back database by database from the command line (`rookery rollback --target NAME`), or write a forward migration that undoes it.",
    });
  }
  if (databases.length === 0) {
    throw new UsageError("nothing to roll back: no version this request applied is still applied on any database (the failed ones were undone by their transactions)", {
      hint: `\`/migrate status ${environment.name}\` shows the states on every target.`,
    });
  }
  const versions = [...new Set(databases.flatMap((database) => database.versions))].sort().reverse();
  return { databases, migrations, pins: { versions, checksums } };
}

/** The rollback request of a failed apply across targets: one request, the environment's approvals, each database's versions planned with it. */
export async function openTargetsRollback(
  deps: SlackDeps,
  client: webApi.WebClient,
  input: { environment: Environment; after: ChangeRequest; reason: string; userId: string; teamId: string; channelId: string },
): Promise<ChangeRequest> {
  const plan = await planTargetsRollback(deps, input.environment, input.after);
  return openChangeRequest(deps, client, {
    kind: "rollback",
    environment: input.environment,
    migrations: plan.migrations,
    pins: plan.pins,
    targetRuns: plan.databases,
    reason: input.reason,
    userId: input.userId,
    teamId: input.teamId,
    channelId: input.channelId,
  });
}

/** The plan in one short line for the reason modal: `oltp: 20251101_000001; tenants (2 databases): 20251103_000001`. */
export function describeTargetsRollback(plan: TargetsRollback): string {
  const byTarget = new Map<string, DatabaseRollback[]>();
  for (const database of plan.databases) byTarget.set(database.target, [...(byTarget.get(database.target) ?? []), database]);
  return [...byTarget]
    .map(([target, databases]) => {
      const versions = [...new Set(databases.flatMap((database) => database.versions))].sort().reverse();
      const fleet = databases.some((database) => database.database !== target);
      return `${target}${fleet ? ` (${databases.length} database${databases.length === 1 ? "" : "s"})` : ""}: ${versions.slice(0, 5).join(", ")}${versions.length > 5 ? ` and ${versions.length - 5} more` : ""}`;
    })
    .join("; ");
}
