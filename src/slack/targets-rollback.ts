import type { webApi } from "@slack/bolt";
import type { Migration } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { UsageError } from "../errors.ts";
import { listTargetRuns, targetPinKey, type ChangeRequest } from "../requests/index.ts";
import { catalogOf, prepareTargets, resolveTargets, rollbackOfRun, type DatabaseRollback, type RanOnDatabase, type Target } from "../targets/index.ts";
import type { SlackDeps } from "./deps.ts";
import { openChangeRequest } from "./open-request.ts";

export interface TargetsRollback {
  databases: DatabaseRollback[];
  migrations: Migration[];
  pins: { versions: string[]; checksums: Record<string, string> };
}

/**
 * The databases and versions of a rollback across targets, checked on each ledger: still applied, a stored
 * rollback script, the file in its target's folder. Refused, naming where, when any check fails; `nothing`
 * says why when nothing is left to roll back.
 */
async function planRollback(targets: Target[], runs: RanOnDatabase[], refusedAs: string, nothing: UsageError): Promise<TargetsRollback> {
  const { databases, refusals } = await rollbackOfRun(targets, runs);
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
    throw new UsageError(`${refusedAs}: ${refusals.slice(0, 5).join("; ")}${refusals.length > 5 ? `; and ${refusals.length - 5} more` : ""}`, {
      hint: "Nothing was requested. Roll back database by database from the command line, or write a forward migration that undoes it.",
    });
  }
  if (databases.length === 0) throw nothing;
  const versions = [...new Set(databases.flatMap((database) => database.versions))].sort().reverse();
  return { databases, migrations, pins: { versions, checksums } };
}

/**
 * What "Request rollback" undoes after a failed apply across targets (docs/targets.md): on each database,
 * the versions that request recorded as applied there and still applied, newest first.
 */
export async function planTargetsRollback(deps: SlackDeps, environment: Environment, request: ChangeRequest): Promise<TargetsRollback> {
  return planRollback(
    resolveTargets(deps.config, environment),
    await listTargetRuns(deps.control, request.id),
    `request ${request.id.slice(0, 8)} cannot be rolled back as it ran`,
    new UsageError("nothing to roll back: no version this request applied is still applied on any database (the failed ones were undone by their transactions)", {
      hint: `\`/migrate status ${environment.name}\` shows the states on every target.`,
    }),
  );
}

/** `/migrate rollback <version> <env> --target NAME`: the version on the target's database, or on every database of a fleet that has it applied. */
export async function planVersionRollback(deps: SlackDeps, environment: Environment, target: string, version: string): Promise<TargetsRollback> {
  const targets = resolveTargets(deps.config, environment, target);
  const [prepared] = await prepareTargets(targets);
  const runs = prepared!.databases.map((database) => ({ target, database: database.name, applied: [version] }));
  return planRollback(
    targets,
    runs,
    `${version} cannot be rolled back on ${target}`,
    new UsageError(`nothing to roll back: ${version} is not applied on ${targets[0]!.kind === "fleet" ? `any database of ${target}` : target}`, {
      hint: `\`/migrate status ${environment.name} --target ${target}\` shows what is applied.`,
    }),
  );
}

/** A rollback request across targets: one request, the environment's approvals, each database's versions stored with it. */
export async function openPlannedRollback(
  deps: SlackDeps,
  client: webApi.WebClient,
  plan: TargetsRollback,
  input: { environment: Environment; reason: string; userId: string; teamId: string; channelId: string },
): Promise<ChangeRequest> {
  return openChangeRequest(deps, client, { kind: "rollback", ...input, migrations: plan.migrations, pins: plan.pins, targetRuns: plan.databases });
}

/** The rollback request of a failed apply across targets, planned again from its runs (the ledgers may have moved). */
export async function openTargetsRollback(
  deps: SlackDeps,
  client: webApi.WebClient,
  input: { environment: Environment; after: ChangeRequest; reason: string; userId: string; teamId: string; channelId: string },
): Promise<ChangeRequest> {
  const { after, ...rest } = input;
  return openPlannedRollback(deps, client, await planTargetsRollback(deps, input.environment, after), rest);
}

/** `/migrate rollback <version> <env> --target NAME` (typed, or from its reason modal): planned, then requested. */
export async function openVersionRollback(
  deps: SlackDeps,
  client: webApi.WebClient,
  input: { environment: Environment; target: string; version: string; reason: string; userId: string; teamId: string; channelId: string },
): Promise<ChangeRequest> {
  const { target, version, ...rest } = input;
  return openPlannedRollback(deps, client, await planVersionRollback(deps, input.environment, target, version), rest);
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
