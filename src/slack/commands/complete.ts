import * as z from "zod";
import type { Catalog, Migration } from "../../catalog/index.ts";
import type { Environment } from "../../config/index.ts";
import { UsageError } from "../../errors.ts";
import { describeExpansion } from "../../expand/index.ts";
import { getStatus } from "../../runner/index.ts";
import { openChangeRequest } from "../open-request.ts";
import { environmentArg, environmentNamed, noExtraWords, parseArguments, versionArg } from "./parse.ts";
import { defineSubcommand } from "./subcommand.ts";

const usage = "complete <version> <env>";

/** Only a version that apply expanded here can be completed; anything else says why not. */
async function migrationToComplete(environment: Environment, catalog: Catalog, version: string): Promise<Migration> {
  const status = await getStatus(environment, catalog);
  const state = status.migrations.find((migration) => migration.version === version);
  if (state?.expansion?.phase !== "expanded") {
    const now = state?.expansion ? describeExpansion(state.expansion) : state ? `it is ${state.state.replace("_", " ")}` : "it is not in the migrations folder";
    throw new UsageError(`nothing to complete: ${version} is not expanded on ${environment.name} (${now})`, {
      hint: `\`/migrate apply ${version} ${environment.name}\` expands an expand-contract migration; \`/migrate status ${environment.name}\` shows every state.`,
    });
  }
  const migration = catalog.byVersion.get(version);
  if (!migration) {
    throw new UsageError(`${version} is expanded but its file is no longer in the migrations folder`, {
      hint: "Restore the file (its checksum is pinned on the request), then ask again.",
    });
  }
  return migration;
}

export const completeSubcommand = defineSubcommand({
  name: "complete",
  usage,
  summary: "request the contract of an expanded expand-contract migration: the old shape goes",
  parse(words) {
    noExtraWords(words, 2, usage);
    return parseArguments(z.object({ version: versionArg, environment: environmentArg }), { version: words[0], environment: words[1] }, usage);
  },
  async run(args, { deps, client, invocation }) {
    const environment = environmentNamed(deps.config, args.environment, usage);
    const migration = await migrationToComplete(environment, await deps.loadCatalog(), args.version);
    await openChangeRequest(deps, client, {
      kind: "complete",
      environment,
      migrations: [migration],
      reason: null,
      userId: invocation.userId,
      teamId: invocation.teamId,
      channelId: invocation.channelId,
    });
  },
});
