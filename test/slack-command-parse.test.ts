import { describe, expect, it } from "vitest";
import { UsageError } from "../src/errors.ts";
import { applySubcommand } from "../src/slack/commands/apply.ts";
import { historySubcommand } from "../src/slack/commands/history.ts";
import { splitCommandText, unescapeSlack } from "../src/slack/commands/parse.ts";
import { rollbackSubcommand } from "../src/slack/commands/rollback.ts";
import type { CommandContext, Subcommand } from "../src/slack/commands/subcommand.ts";
import { verifySubcommand } from "../src/slack/commands/verify.ts";

/** A context whose first use proves that parsing succeeded and the subcommand went on to run. */
const RUN_REACHED = new Error("run reached");
const untouchableContext = new Proxy({} as CommandContext, {
  get() {
    throw RUN_REACHED;
  },
});

/** What a subcommand's parser makes of a text: "valid", or the refusal it answers with. */
async function parsed(subcommand: Subcommand, text: string): Promise<string> {
  const { words, rest } = splitCommandText(`${subcommand.name} ${text}`);
  try {
    await subcommand.execute(words, rest, untouchableContext);
  } catch (error) {
    if (error === RUN_REACHED) return "valid";
    if (error instanceof UsageError) return `refused: ${error.message}`;
    throw error;
  }
  throw new Error("the subcommand neither ran nor refused");
}

describe("/migrate text -> typed arguments (zod), or a refusal that names the problem", () => {
  it.each([
    [historySubcommand, "", "valid"],
    [historySubcommand, "20", "valid"],
    [historySubcommand, "production 20", "valid"],
    [historySubcommand, "20 production", "refused: the environment comes before the count"],
    [historySubcommand, "production 0", 'refused: the count must be at least 1 ("0")'],
    [historySubcommand, "production 500", 'refused: at most 100 events fit in one answer ("500")'],
    [verifySubcommand, "20251101_000001 production", "valid"],
    [verifySubcommand, "production", "valid"],
    [verifySubcommand, "production 20251101_000001", "refused: the version comes before the environment"],
    [verifySubcommand, "2025-11-01", 'refused: a version looks like 20251101_000001 (YYYYMMDD_HHMMSS) ("2025-11-01")'],
    [verifySubcommand, "20251340_000001", `refused: the version's date is not a real date ("20251340_000001")`],
    [applySubcommand, "all production", "valid"],
    [applySubcommand, "20251101_000001", "refused: the environment is missing"],
    [applySubcommand, "", "refused: give a version like 20251101_000001, or `all`"],
    [applySubcommand, "all Production", 'refused: an environment name is lower-case letters, digits, - and _ ("Production")'],
    [applySubcommand, "all production now", 'refused: unexpected "now"'],
    // Without a reason, the reason is asked for in a modal.
    [rollbackSubcommand, "20251101_000001 production", "valid"],
    [rollbackSubcommand, "20251101_000001 production ab", 'refused: a reason is required: say why it is rolled back ("ab")'],
    [rollbackSubcommand, `20251101_000001 production "it's broken"`, "valid"],
    // A break-glass rollback needs its reason typed: the reason modal would request a plain rollback instead.
    [rollbackSubcommand, "20251101_000001 production --now", "refused: a reason is required: say why it is rolled back now"],
    [rollbackSubcommand, "20251101_000001 production --now checkout is down", "valid"],
    // A phone's smart punctuation: `—now` and `—to` are the flags, not the start of a reason or a version.
    [rollbackSubcommand, "20251101_000001 production \u2014now", "refused: a reason is required: say why it is rolled back now"],
    [rollbackSubcommand, "\u2014to 20251101_000001 production", "refused: a reason is required: say why they are rolled back"],
  ])("$0.name $1", async (subcommand, text, expected) => {
    expect(await parsed(subcommand, text)).toBe(expected);
  });

  it("keeps a free-text tail verbatim, and undoes Slack's &amp; &lt; &gt; escaping", () => {
    const split = splitCommandText("rollback  20251101_000001   production   it's  \"broken\" <@U1>");
    expect(split.name).toBe("rollback");
    expect(split.words.slice(0, 2)).toEqual(["20251101_000001", "production"]);
    expect(split.rest(2)).toBe(`it's  "broken" <@U1>`);
    expect(unescapeSlack("a &amp;lt; b &lt; c &gt; d")).toBe("a &lt; b < c > d");
  });
});
