import * as z from "zod";
import type { Catalog, Migration } from "../../catalog/index.ts";
import type { Environment } from "../../config/index.ts";
import { UsageError } from "../../errors.ts";
import { planMigrations } from "../../runner/index.ts";
import { openChangeRequest } from "../open-request.ts";
import type { SlackDeps } from "../deps.ts";
import { pinTargets } from "../../requests/index.ts";
import { catalogOf, hasTargets, resolveTargets, targetOfVersions } from "../../targets/index.ts";
import { environmentArg, environmentNamed, noExtraWords, parseArguments, takeTarget, versionArg } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const usage = "apply <version|all> <env> [--target NAME]";

/** The migrations the request will run: every pending one for `all`, else the one named, which must be pending. */
async function migrationsToApply(environment: Environment, catalog: Catalog, target: string): Promise<Migration[]> {
  const pending = await planMigrations(environment, catalog);
  const inOrder = pending.map((step) => catalog.byVersion.get(step.version)).filter((m): m is Migration => m !== undefined);
  if (target === "all") {
    if (inOrder.length === 0) {
      throw new UsageError(`nothing is pending on ${environment.name}`, { hint: `\`/migrate status ${environment.name}\` shows every migration.` });
    }
    return inOrder;
  }
  const migration = inOrder.find((candidate) => candidate.version === target);
  if (migration) return [migration];
  if (!catalog.byVersion.has(target)) {
    throw new UsageError(`there is no migration ${target} in the migrations folder`, {
      hint: `\`/migrate plan ${environment.name}\` lists the pending versions.`,
    });
  }
  throw new UsageError(`${target} is not pending on ${environment.name} (it is already applied)`, {
    hint: `\`/migrate plan ${environment.name}\` lists what is pending; \`/migrate status ${environment.name}\` shows every state.`,
  });
}

/**
 * An environment with targets (docs/targets.md): one request and one approval. `all` pins every target's
 * files (or `--target`'s), each target's on their own; a version pins the one target whose folder holds it
 * (a fleet runs it across its databases in waves). Which databases still need them is the workers' business.
 */
async function acrossTargets(deps: SlackDeps, environment: Environment, version: string, only: string | undefined): Promise<{ migrations: Migration[]; pins: ReturnType<typeof pinTargets> }> {
  const targets = resolveTargets(deps.config, environment, only);
  if (version === "all") {
    const catalogs = targets.map((each) => ({ target: each.name, migrations: catalogOf(each).migrations }));
    return { migrations: catalogs.flatMap((each) => each.migrations), pins: pinTargets(catalogs) };
  }
  const { target, migrations } = targetOfVersions(environment.name, targets, [version], `\`/migrate plan ${environment.name}\``);
  // A single database says at once when the version is applied already; a fleet's databases each find out.
  if (target.kind === "database") await migrationsToApply(target.environment, catalogOf(target), version);
  return { migrations, pins: pinTargets([{ target: target.name, migrations }]) };
}

export const applySubcommand = defineSubcommand({
  name: "apply",
  usage,
  summary: "request to apply one pending version, or all of them, to an environment",
  parse(all) {
    const { words, target: only } = takeTarget(all, usage);
    noExtraWords(words, 2, usage);
    const parsed = parseArguments(
      z.object({ target: z.union([z.literal("all"), versionArg], { error: "give a version like 20251101_000001, or `all`" }), environment: environmentArg }),
      { target: words[0], environment: words[1] },
      usage,
    );
    return { ...parsed, only };
  },
  async run(args, { deps, client, invocation }) {
    const environment = environmentNamed(deps.config, args.environment, usage);
    if (hasTargets(environment) || args.only !== undefined) {
      const planned = await acrossTargets(deps, environment, args.target, args.only);
      await openChangeRequest(deps, client, { kind: "apply", environment, reason: null, userId: invocation.userId, teamId: invocation.teamId, channelId: invocation.channelId, ...planned });
      return;
    }
    const migrations = await migrationsToApply(environment, await deps.loadCatalog(), args.target);
    await openChangeRequest(deps, client, {
      kind: "apply",
      environment,
      migrations,
      reason: null,
      userId: invocation.userId,
      teamId: invocation.teamId,
      channelId: invocation.channelId,
    });
  },
});
