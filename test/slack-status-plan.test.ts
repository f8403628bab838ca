import { describe, expect, it } from "vitest";
import { CHANNEL, startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

describe("/migrate status and plan answer through the command's response_url", async () => {
  const harness = await startSlackHarness({
    label: "slack-status",
    migrations: {
      "2025_11_01/001_create_widgets.sql": "-- description: widgets table\nCREATE TABLE widgets (id bigint PRIMARY KEY, name text);\n",
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
      // A description longer than a section: cut, so the type, rollback and lint lines after it still show.
      "2025_11_01/002_add_widget_color.sql": `-- description: widget colors ${"<see the design doc> ".repeat(200)}\nALTER TABLE widgets ADD COLUMN color text;\n`,
    },
    environments: (databaseUrl) => ({ development: { databaseUrl } }),
  });

  it("acknowledges with an empty 200 and answers status in the channel: version state first", async () => {
    const { status, body, responseId } = await harness.command(USERS.requester, "status");
    expect(status).toBe(200);
    expect(body).toBe("");
    const answer = await harness.answer(responseId);
    expect(answer.response_type).toBe("in_channel");
    expect(answer.text).toBe("development: current version none");
    const text = textOf(answer);
    expect(text).toContain("20251101_000001");
    expect(text).toContain("pending 2");
  });

  it("plan lists the pending migrations in order with their type and whether a rollback file exists", async () => {
    const { responseId } = await harness.command(USERS.requester, "plan development");
    const answer = await harness.answer(responseId);
    expect(answer.text).toBe("development: 2 pending");
    const text = textOf(answer);
    expect(text.indexOf("20251101_000001")).toBeLessThan(text.indexOf("20251101_000002"));
    expect(text).toContain("DDL Add");
    expect(text).toContain("*no rollback file*");
  });

  it("an unknown subcommand gets an ephemeral error that says what to type", async () => {
    const { responseId } = await harness.command(USERS.requester, "deploy everything");
    const answer = await harness.answer(responseId);
    expect(answer.response_type).toBe("ephemeral");
    expect(answer.text).toContain('unknown subcommand "deploy"');
    expect(answer.text).toContain("/migrate help");
  });

  it("an unknown environment and a malformed version are refused, naming what exists", async () => {
    const unknown = await harness.answer((await harness.command(USERS.requester, "status staging")).responseId);
    expect(unknown.response_type).toBe("ephemeral");
    expect(unknown.text).toContain('unknown environment "staging"');
    expect(unknown.text).toContain("Configured environments: development");

    const malformed = await harness.answer((await harness.command(USERS.requester, "apply 2025-11-01 development")).responseId);
    expect(malformed.response_type).toBe("ephemeral");
    expect(malformed.text).toContain("20251101_000001");
    // The top-level text is inert: `<` arrives escaped, as Slack shows it back as `<`.
    expect(malformed.text).toContain("/migrate apply &lt;version|all&gt; &lt;env&gt;");
  });

  it("apply without an environment is refused: the environment is required where something changes", async () => {
    const answer = await harness.answer((await harness.command(USERS.requester, "apply all")).responseId);
    expect(answer.response_type).toBe("ephemeral");
    expect(answer.text).toContain("the environment is missing");
    expect(harness.fake.callsTo("chat.postMessage").filter((call) => call.body.channel === CHANNEL)).toHaveLength(0);
  });
});
