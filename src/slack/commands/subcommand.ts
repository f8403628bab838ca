import type { webApi } from "@slack/bolt";
import type { SlackDeps } from "../deps.ts";
import type { SlackMessage } from "../views/blocks.ts";

/** Who typed the command and where, from Slack's (zod-checked) payload. */
export interface Invocation {
  userId: string;
  teamId: string;
  channelId: string;
  text: string;
  /** Opens a modal within 3 s of the command (a rollback's reason, a break-glass confirmation). */
  triggerId?: string;
}

export interface CommandContext {
  invocation: Invocation;
  deps: SlackDeps;
  client: webApi.WebClient;
  /** Answers in the channel through the command's response_url. */
  reply(message: SlackMessage): Promise<void>;
  /** Answers only the person who typed the command. */
  replyPrivately(message: SlackMessage): Promise<void>;
}

/**
 * One `/migrate` subcommand, in a file of its own under src/slack/commands/, registered by one line
 * in commands/index.ts. `parse` turns the words after the subcommand into typed arguments (zod) or
 * throws a UsageError saying what to type; `run` does the work after Slack has been answered.
 */
export interface SubcommandSpec<A> {
  name: string;
  /** `apply <version|all> <env>` */
  usage: string;
  summary: string;
  /** `words`: the text split on white space after the subcommand; `rest(n)`: the raw text after n words. */
  parse(words: string[], rest: (n: number) => string): A;
  run(args: A, context: CommandContext): Promise<void>;
}

export interface Subcommand {
  name: string;
  usage: string;
  summary: string;
  execute(words: string[], rest: (n: number) => string, context: CommandContext): Promise<void>;
}

export function defineSubcommand<A>(spec: SubcommandSpec<A>): Subcommand {
  return {
    name: spec.name,
    usage: spec.usage,
    summary: spec.summary,
    execute: (words, rest, context) => spec.run(spec.parse(words, rest), context),
  };
}
