import * as z from "zod";
import type { Catalog, Migration } from "../../catalog/index.ts";
import type { Environment } from "../../config/index.ts";
import { UsageError } from "../../errors.ts";
import { getStatus, rollbackTargets } from "../../runner/index.ts";
import { breakGlassConfirmModal } from "../modals/break-glass-confirm.ts";
import { rollbackReasonModal } from "../modals/rollback-reason.ts";
import { mayApprove } from "../../policy/approval.ts";
import { openChangeRequest } from "../open-request.ts";
import { slackGroupResolver } from "../user-groups.ts";
import { openVersionRollback } from "../targets-rollback.ts";
import { environmentArg, environmentNamed, isFlag, isTargetFlag, parseArguments, targetArg, versionArg } from "./parse.ts";
import { defineSubcommand, type CommandContext } from "./subcommand.ts";

const usage = "rollback <version> <env> [--target NAME] [--now] <reason...>  |  rollback --to <version> <env> <reason...>";
const TO_FLAG = "--to" as const;
/** `--now` before the reason: an emergency rollback by one approver (break glass), where the environment allows it. */
const BREAK_GLASS_FLAG = "--now" as const;

/** Only an applied version with a stored rollback script can be rolled back; anything else says why not. */
export async function migrationToRollBack(environment: Environment, catalog: Catalog, version: string): Promise<Migration> {
  const status = await getStatus(environment, catalog);
  const state = status.migrations.find((migration) => migration.version === version);
  if (!state || state.state !== "applied") {
    const now = state ? `it is ${state.state.replace("_", " ")}` : "it was never applied";
    throw new UsageError(`nothing to roll back: ${version} is not applied on ${environment.name} (${now})`, {
      hint: `\`/migrate status ${environment.name}\` shows what is applied.`,
    });
  }
  if (!state.hasRollback) {
    throw new UsageError(`${version} has no rollback script stored in the ledger of ${environment.name}`, {
      hint: "Write a forward migration that undoes it, and apply that instead.",
    });
  }
  const migration = catalog.byVersion.get(version);
  if (!migration) {
    throw new UsageError(`${version} is applied but its file is no longer in the migrations folder`, {
      hint: "Restore the file (its checksum is pinned on the request), then ask again.",
    });
  }
  return migration;
}

/** `--to VERSION`: every applied version after it, newest first, each checked like a single rollback, in one request. */
async function requestRollbackTo(
  args: { version: string; reason: string },
  environment: Environment,
  { deps, client, invocation }: CommandContext,
): Promise<void> {
  const versions = await rollbackTargets(environment, { to: args.version, reason: args.reason });
  if (versions.length === 0) {
    throw new UsageError(`nothing to roll back: no version after ${args.version} is applied on ${environment.name}`, {
      hint: `\`/migrate status ${environment.name}\` shows what is applied.`,
    });
  }
  const catalog = await deps.loadCatalog();
  const migrations: Migration[] = [];
  for (const version of versions) migrations.push(await migrationToRollBack(environment, catalog, version));
  await openChangeRequest(deps, client, {
    kind: "rollback",
    environment,
    migrations,
    reason: args.reason,
    breakGlass: false,
    userId: invocation.userId,
    teamId: invocation.teamId,
    channelId: invocation.channelId,
  });
}

export const rollbackSubcommand = defineSubcommand({
  name: "rollback",
  usage,
  summary: "request to roll back an applied version, with the reason (kept in the audit trail)",
  parse(all, rest) {
    // `--to VERSION` first: every applied version after VERSION, newest first, in one approved run.
    const to = isFlag(all[0], TO_FLAG);
    const words = to ? all.slice(1) : all;
    // `--target NAME` after the environment: the version on one target of an environment with targets (docs/targets.md).
    const target = isTargetFlag(words[2] ?? "") ? parseArguments(z.object({ target: targetArg }), { target: words[3] }, usage).target : undefined;
    const skip = target === undefined ? 0 : 2;
    const breakGlass = !to && isFlag(words[2 + skip], BREAK_GLASS_FLAG);
    if (target !== undefined && (to || breakGlass)) {
      throw new UsageError(`${to ? "--to" : "--now"} does not run across targets yet: roll back one version with --target`, { hint: `Type \`/migrate rollback <version> <env> --target ${target} <reason...>\`.` });
    }
    const parsed = parseArguments(
      z.object({
        version: versionArg,
        environment: environmentArg,
        // Left out, it is asked for in a modal.
        reason: z
          .string()
          .max(2000, "keep the reason under 2000 characters")
          .refine((reason) => reason === "" || reason.trim().length >= 3, "a reason is required: say why it is rolled back"),
      }),
      { version: words[0], environment: words[1], reason: rest((to || breakGlass ? 3 : 2) + skip) },
      usage,
    );
    if (to && parsed.reason === "") throw new UsageError("a reason is required: say why they are rolled back", { hint: `Type \`/migrate ${usage}\`.` });
    // Only a plain rollback asks for its reason in a modal (which requests it the usual way): `--now` would be lost there.
    if (breakGlass && parsed.reason === "") throw new UsageError("a reason is required: say why it is rolled back now", { hint: `Type \`/migrate ${usage}\`.` });
    return { ...parsed, breakGlass, to, target };
  },
  async run(args, context) {
    const { deps, client, invocation } = context;
    const environment = environmentNamed(deps.config, args.environment, usage);
    if (args.to) return requestRollbackTo(args, environment, context);
    const where = { version: args.version, environment: environment.name, channelId: invocation.channelId, ...(args.target ? { target: args.target } : {}) };
    // Slack allows 3 s from the command to open a modal: it opens before any database work, and the
    // submission checks that the version can be rolled back (a refusal shows in the modal).
    if (args.reason === "") {
      if (!invocation.triggerId) throw new UsageError("a reason is required: say why it is rolled back", { hint: `Type \`/migrate ${usage}\`.` });
      await rollbackReasonModal.open(client, invocation.triggerId, where);
      return;
    }
    if (args.target !== undefined) {
      await openVersionRollback(deps, client, { environment, target: args.target, version: args.version, reason: args.reason, userId: invocation.userId, teamId: invocation.teamId, channelId: invocation.channelId });
      return;
    }
    const migration = await migrationToRollBack(environment, await deps.loadCatalog(), args.version);
    // An approver confirms break glass in a modal first; anyone else is refused by the policy below, with its reasons.
    if (args.breakGlass && invocation.triggerId && (await mayApprove(environment, invocation.userId, slackGroupResolver(client)))) {
      await breakGlassConfirmModal.open(client, invocation.triggerId, { ...where, reason: args.reason });
      return;
    }
    await openChangeRequest(deps, client, {
      kind: "rollback",
      environment,
      migrations: [migration],
      reason: args.reason,
      breakGlass: args.breakGlass,
      userId: invocation.userId,
      teamId: invocation.teamId,
      channelId: invocation.channelId,
    });
  },
});
