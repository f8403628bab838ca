import { z } from "zod";
import type { Catalog, Migration } from "../../catalog/index.ts";
import type { Environment } from "../../config/index.ts";
import { UsageError } from "../../errors.ts";
import { planMigrations } from "../../runner/index.ts";
import { openChangeRequest } from "../open-request.ts";
import type { SlackDeps } from "../deps.ts";
import { pinTargets } from "../../requests/index.ts";
import { catalogOf, hasTargets, resolveTargets, targetNames } from "../../targets/index.ts";
import { environmentArg, environmentNamed, noExtraWords, parseArguments, versionArg } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const usage = "apply <version|all> <env>";

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
 * An environment with targets (docs/targets.md): `all` is one request and one approval for every target,
 * each target's files pinned on their own; which databases still need them is the workers' business.
 */
function acrossTargets(deps: SlackDeps, environment: Environment, target: string): { migrations: Migration[]; pins: ReturnType<typeof pinTargets> } {
  if (target !== "all") {
    throw new UsageError(`${environment.name} has targets (${targetNames(environment).join(", ")}): apply all of them, not one version`, {
      hint: `Type \`/migrate apply all ${environment.name}\`; one version on one target is \`rookery apply VERSION --target NAME\`.`,
    });
  }
  const catalogs = resolveTargets(deps.config, environment).map((each) => ({ target: each.name, migrations: catalogOf(each).migrations }));
  return { migrations: catalogs.flatMap((each) => each.migrations), pins: pinTargets(catalogs) };
}

export const applySubcommand = defineSubcommand({
  name: "apply",
  usage,
  summary: "request to apply one pending version, or all of them, to an environment",
  parse(words) {
    noExtraWords(words, 2, usage);
    return parseArguments(
      z.object({ target: z.union([z.literal("all"), versionArg], { error: "give a version like 20251101_000001, or `all`" }), environment: environmentArg }),
      { target: words[0], environment: words[1] },
      usage,
    );
  },
  async run(args, { deps, client, invocation }) {
    const environment = environmentNamed(deps.config, args.environment, usage);
    if (hasTargets(environment)) {
      await openChangeRequest(deps, client, { kind: "apply", environment, reason: null, userId: invocation.userId, teamId: invocation.teamId, channelId: invocation.channelId, ...acrossTargets(deps, environment, args.target) });
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
