import * as z from "zod";
import { Version } from "../../catalog/index.ts";
import type { Config, Environment } from "../../config/index.ts";
import { TARGET_NAME } from "../../config/targets.ts";
import { UsageError } from "../../errors.ts";
import type { Invocation } from "./subcommand.ts";

/**
 * Slash command text -> typed arguments. Slack sends the text with `&`, `<` and `>` escaped and may
 * turn quotes into curly ones; words are split on white space, and a free-text tail (a rollback's
 * reason) is taken verbatim from the text, so quotes in it survive as typed.
 */

/** What a slash command's text may hold, as typed (Slack's own limit on the text box). */
export const MAX_COMMAND_TEXT = 4000;

/** The fields of Slack's slash command payload Rookery relies on; anything else is ignored. */
export const SlashCommandPayloadSchema = z.object({
  user_id: z.string().regex(/^[UW][A-Z0-9]+$/, "a Slack user id"),
  team_id: z.string().min(1),
  channel_id: z.string().min(1),
  trigger_id: z.string().min(1).optional(),
  // Slack sends `&` as `&amp;`: the limit is on what was typed, not on its escaped form.
  text: z
    .string()
    .default("")
    .transform((text) => unescapeSlack(text))
    .pipe(z.string().max(MAX_COMMAND_TEXT, `the command is longer than ${MAX_COMMAND_TEXT} characters`)),
});

export function invocationFrom(payload: unknown): Invocation {
  const parsed = SlashCommandPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    const tooLong = parsed.error.issues.find((issue) => issue.path[0] === "text");
    if (tooLong) throw new UsageError(tooLong.message, { hint: "Shorten it: a reason of a few sentences is enough; put the rest in the ticket." });
    throw new UsageError("this command came without a valid user, team or channel", { cause: parsed.error });
  }
  return {
    userId: parsed.data.user_id,
    teamId: parsed.data.team_id,
    channelId: parsed.data.channel_id,
    text: parsed.data.text,
    ...(parsed.data.trigger_id ? { triggerId: parsed.data.trigger_id } : {}),
  };
}

export function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

export interface SplitText {
  name: string;
  words: string[];
  /** The raw text after the subcommand and `n` more words, trimmed. */
  rest(n: number): string;
}

/** `apply 20251101_000001 production` -> name "apply", words ["20251101_000001", "production"]. */
export function splitCommandText(text: string): SplitText {
  const tokens = [...text.matchAll(/\S+/g)];
  const [first, ...others] = tokens;
  return {
    name: (first?.[0] ?? "help").toLowerCase(),
    words: others.map((token) => token[0]),
    rest(n) {
      const token = others[n];
      return token === undefined ? "" : text.slice(token.index).trim();
    },
  };
}

// Argument atoms shared by the subcommands, with the messages a user reads.
export const versionArg = z
  .string({ error: (issue) => (issue.input === undefined ? "a version is missing" : "the version must be text") })
  .pipe(Version);

export const environmentArg = z
  .string({ error: (issue) => (issue.input === undefined ? "the environment is missing" : "the environment must be text") })
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, "an environment name is lower-case letters, digits, - and _");

export const countArg = z.coerce
  .number({ error: "the count must be a number" })
  .int("the count must be a whole number")
  .min(1, "the count must be at least 1")
  .max(100, "at most 100 events fit in one answer");

/** zod's verdict on the arguments, or a UsageError naming the problem and the usage to type instead. */
export function parseArguments<S extends z.ZodType>(schema: S, input: unknown, usage: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const value = issue.path.length > 0 ? valueAt(input, issue.path) : undefined;
  const shown = typeof value === "string" && value !== "" ? ` ("${value}")` : "";
  throw new UsageError(`${issue.message}${shown}`, { hint: `Type \`/migrate ${usage}\`.` });
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key], input);
}

/** Two optional positional words where only one order reads right: the other order is refused, saying which comes first. */
export function refuseSecondWord(word: string | undefined, message: string, usage: string): void {
  if (word !== undefined) throw new UsageError(message, { hint: `Type \`/migrate ${usage}\`.` });
}

/** Words beyond what a subcommand takes are a mistake worth pointing out, not silently dropped. */
export function noExtraWords(words: string[], max: number, usage: string): void {
  if (words.length > max) {
    throw new UsageError(`unexpected "${words.slice(max).join(" ")}"`, { hint: `Type \`/migrate ${usage}\`.` });
  }
}

export const targetArg = z
  .string({ error: (issue) => (issue.input === undefined ? "--target needs a target name after it" : "the target must be text") })
  .regex(TARGET_NAME, "a target name is lower-case letters, digits, - and _");

/** `--flag` as typed, or as a phone's smart punctuation turns it (`—flag`, an em dash for the two hyphens). */
export const isFlag = (word: string | undefined, flag: `--${string}`) => word === flag || word === `\u2014${flag.slice(2)}`;

export const isTargetFlag = (word: string) => isFlag(word, "--target");

/**
 * `--target NAME` anywhere among the words (as `rookery status --target NAME`): only that target of an
 * environment with targets (docs/targets.md); the other words are returned in their order. A phone's
 * smart punctuation turns `--` into an em dash, so `—target` is read the same.
 */
export function takeTarget(words: string[], usage: string): { words: string[]; target?: string } {
  const at = words.findIndex(isTargetFlag);
  if (at === -1) return { words };
  const rest = [...words.slice(0, at), ...words.slice(at + 2)];
  if (rest.some(isTargetFlag)) {
    throw new UsageError("--target is given twice", { hint: `Type \`/migrate ${usage}\` with one --target.` });
  }
  return { words: rest, target: parseArguments(z.object({ target: targetArg }), { target: words[at + 1] }, usage).target };
}

/** The arguments of a subcommand that takes `[env] [--target NAME]`. */
export function parseEnvironmentAndTarget(words: string[], usage: string): { environment?: string; target?: string } {
  const { words: rest, target } = takeTarget(words, usage);
  return { ...parseOptionalEnvironment(rest, usage), ...(target === undefined ? {} : { target }) };
}

/** The arguments of a subcommand that takes only `[env]`: zero or one environment name. */
export function parseOptionalEnvironment(words: string[], usage: string): { environment?: string } {
  noExtraWords(words, 1, usage);
  return parseArguments(z.object({ environment: environmentArg.optional() }), { environment: words[0] }, usage);
}

/** The named environment, or the only one; an unknown or missing name says which ones exist. */
export function environmentNamed(config: Config, name: string | undefined, usage: string): Environment {
  const names = Object.keys(config.environments);
  if (name === undefined) {
    if (names.length === 1) return config.environments[names[0]!]!;
    throw new UsageError(`which environment? ${names.join(", ")} are configured`, {
      hint: `Type \`/migrate ${usage}\` with one of them.`,
    });
  }
  const environment = config.environments[name];
  if (!environment) {
    throw new UsageError(`unknown environment "${name}"`, { hint: `Configured environments: ${names.join(", ")}.` });
  }
  return environment;
}
