import * as z from "zod";
import type { Catalog, Migration } from "../../catalog/index.ts";
import type { Environment } from "../../config/index.ts";
import { UsageError } from "../../errors.ts";
import { getStatus } from "../../runner/index.ts";
import { openChangeRequest } from "../open-request.ts";
import { environmentArg, environmentNamed, parseArguments, versionArg } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const usage = "baseline <version> <env> <reason...>";

/** The migrations up to `version` the ledger lacks; one that failed or was rolled back here refuses the baseline. */
async function migrationsToBaseline(environment: Environment, catalog: Catalog, version: string): Promise<Migration[]> {
  if (!catalog.byVersion.has(version)) {
    throw new UsageError(`there is no migration ${version} in the migrations folder`, { hint: `\`/migrate status ${environment.name}\` lists the versions.` });
  }
  const states = (await getStatus(environment, catalog)).migrations.filter((state) => state.version <= version && !state.missingFile);
  const undone = states.filter((state) => state.state === "failed" || state.state === "rolled_back");
  if (undone.length > 0) {
    throw new UsageError(`cannot baseline over ${undone.map((state) => `${state.version} (${state.state.replace("_", " ")})`).join(", ")}: the database does not have them`, {
      hint: `Apply them, or baseline to a version before them.`,
    });
  }
  const missing = states.filter((state) => state.state === "pending").map((state) => catalog.byVersion.get(state.version)!);
  if (missing.length === 0) {
    throw new UsageError(`nothing to baseline: every version up to ${version} is already recorded on ${environment.name}`, {
      hint: `\`/migrate status ${environment.name}\` shows them.`,
    });
  }
  return missing;
}

export const baselineSubcommand = defineSubcommand({
  name: "baseline",
  usage,
  summary: "request to record every version up to <version> as applied without running it (a database that has them)",
  parse(words, rest) {
    return parseArguments(
      z.object({
        version: versionArg,
        environment: environmentArg,
        reason: z.string().trim().min(3, "a reason is required: say why the database already has these").max(2000, "keep the reason under 2000 characters"),
      }),
      { version: words[0], environment: words[1], reason: rest(2) },
      usage,
    );
  },
  async run(args, { deps, client, invocation }) {
    const environment = environmentNamed(deps.config, args.environment, usage);
    const migrations = await migrationsToBaseline(environment, await deps.loadCatalog(), args.version);
    await openChangeRequest(deps, client, {
      kind: "baseline",
      environment,
      migrations,
      reason: args.reason,
      userId: invocation.userId,
      teamId: invocation.teamId,
      channelId: invocation.channelId,
    });
  },
});
