import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from "@slack/bolt";
import { UsageError } from "../../errors.ts";
import { audit } from "../../requests/index.ts";
import { commandSlots } from "../command-slots.ts";
import { respondWith } from "../send.ts";
import type { SlackDeps } from "../deps.ts";
import type { SlackMessage } from "../views/blocks.ts";
import { errorMessage } from "../views/error-message.ts";
import { invocationFrom, splitCommandText } from "./parse.ts";
import type { CommandContext, Invocation, Subcommand } from "./subcommand.ts";

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** Every command lands in the audit log, understood or not; a log outage never costs the user an answer. */
async function auditCommand(deps: SlackDeps, invocation: Invocation, action: string, detail: Record<string, unknown>) {
  try {
    await audit(deps.control, { actor: invocation.userId, teamId: invocation.teamId, action, detail: { text: invocation.text, ...detail } });
  } catch (error) {
    deps.logger.error({ err: error, action }, "could not write the audit log");
  }
}

function unknownSubcommand(name: string, subcommands: readonly Subcommand[]): UsageError {
  return new UsageError(`unknown subcommand "${name}"`, {
    hint: `Type \`/migrate help\`. Subcommands: ${subcommands.map((subcommand) => subcommand.name).join(", ")}.`,
  });
}

/** Acknowledged commands working at once; the rest wait (see command-slots.ts). */
const COMMAND_SLOTS = 2;

/** Parses, audits and runs one acknowledged command; every answer goes through its response_url. */
async function answerCommand(subcommands: readonly Subcommand[], deps: SlackDeps, { command, respond, client }: CommandArgs): Promise<void> {
  const send = (message: SlackMessage, responseType: "in_channel" | "ephemeral") => respondWith(respond, message, responseType);
  let invocation: Invocation;
  try {
    invocation = invocationFrom(command);
  } catch (error) {
    deps.logger.warn({ err: error }, "slash command payload rejected");
    await send(errorMessage(error), "ephemeral");
    return;
  }
  const { name, words, rest } = splitCommandText(invocation.text);
  const subcommand = subcommands.find((candidate) => candidate.name === name);
  const context: CommandContext = {
    invocation,
    deps,
    client,
    reply: (message) => send(message, "in_channel"),
    replyPrivately: (message) => send(message, "ephemeral"),
  };
  try {
    if (!subcommand) throw unknownSubcommand(name, subcommands);
    await auditCommand(deps, invocation, `command.${subcommand.name}`, {});
    await subcommand.execute(words, rest, context);
  } catch (error) {
    if (!(error instanceof UsageError)) deps.logger.error({ err: error, subcommand: name }, "command failed");
    await auditCommand(deps, invocation, "command.refused", { error: (error as Error).message });
    await send(errorMessage(error), "ephemeral").catch((sendError) =>
      deps.logger.error({ err: sendError }, "could not answer through response_url"),
    );
  }
}

/**
 * The `/migrate` listener. It acknowledges before anything else (Slack allows 3 s, and the database
 * or Redis may be slow), then answers in one of a few work slots, errors only to the person who typed them.
 */
export function migrateListener(subcommands: readonly Subcommand[], deps: SlackDeps) {
  const inSlot = commandSlots(COMMAND_SLOTS);
  return async function onMigrateCommand(args: CommandArgs): Promise<void> {
    await args.ack();
    await inSlot(() => answerCommand(subcommands, deps, args));
  };
}
