import { afterAll, describe, expect, it } from "vitest";
import { EnvironmentSchema, type Config } from "../src/config/index.ts";
import { createLogger } from "../src/log/logger.ts";
import { Readable } from "node:stream";
import { runShell } from "../src/shell/run.ts";
import { ShellSession } from "../src/shell/session.ts";
import { migrationsFolder } from "./support/cli.ts";
import { columnsOf } from "./support/engine.ts";
import { waitUntil } from "./support/queue.ts";
import { createTestDatabase, redisUrl, testQueuePrefix } from "./support/services.ts";

describe("the local shell drives the real app: type as a user, read the rendered answers, click buttons", async () => {
  const databaseUrl = await createTestDatabase("shell");
  const config: Config = {
    environments: {
      production: { ...EnvironmentSchema.parse({ databaseUrl, approvals: 1, approvers: ["UAPPROVER1"] }), name: "production" },
    },
    migrationsDir: migrationsFolder({
      "2025_11_01/001_create_widgets.sql": "-- description: widgets table\nCREATE TABLE widgets (id bigint PRIMARY KEY);\n",
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
      "2025_11_01/002_add_color.sql": "-- description: widget colours\nALTER TABLE widgets ADD COLUMN color text;\n",
      "2025_11_01/rollback_002_add_color.sql": "ALTER TABLE widgets DROP COLUMN IF EXISTS color;\n",
    }),
    controlDatabaseUrl: databaseUrl,
    redisUrl: redisUrl(),
    queuePrefix: testQueuePrefix("shell"),
    port: 0,
    logLevel: "silent",
    slack: {},
    source: "test config",
  };
  let output = "";
  const session = await ShellSession.start(config, { write: (text) => (output += text), jobs: true, logger: createLogger({ level: "silent" }) });
  afterAll(() => session.close());
  const shows = (text: string) => waitUntil(async () => output.includes(text), `the shell to show "${text}"`, 20_000);

  it("input piped in that quits at once still gets every answer before the shell leaves", async () => {
    let piped = "";
    await runShell(config, { input: Readable.from(["/migrate status\nquit\n"]), write: (text) => (piped += text), jobs: false });
    expect(piped).toContain("production — current version `none`");
    // Jobs off by choice (--no-jobs), with Redis answering: the banner says so, not that Redis is down.
    expect(piped).toContain("Jobs do not run here (--no-jobs)");
    expect(piped).not.toContain("Redis does not answer");
  });

  it("answers /migrate status as text", async () => {
    await session.handle("/migrate status");
    await shows("production — current version `none`");
    expect(output).toContain("20251101_000001");
  });

  it("requests, refuses the requester's own click, and applies after /as an approver clicks Approve", async () => {
    await session.handle("/migrate apply 20251101_000001 production");
    await shows("== Apply 20251101_000001 on production ==");
    expect(output).toMatch(/\[1\] Approve {3}\[2\] Reject/);

    await session.handle("click 1");
    await shows("You cannot approve your own request; nothing changed.");

    await session.handle("/as UAPPROVER1");
    expect(output).toContain("You are now UAPPROVER1.");
    await session.handle("click 1");
    await shows("✅ done");
    expect(await columnsOf(databaseUrl, "widgets")).toEqual(["id"]);
    expect(output).toContain("↳ in thread");
  });

  it("home shows the Home tab; Reject opens a dialog filled in line by line, a too-short reason asked again", async () => {
    await session.handle("/as UDEVELOPER");
    await session.handle("/migrate apply 20251101_000002 production");
    await shows("== Apply 20251101_000002 on production ==");
    await session.handle("/as UAPPROVER1");
    await session.handle("home");
    await shows("── your Home tab ──");
    await shows("Waiting for your approval (1)");
    const reject = [...output.matchAll(/\[(\d+)\] Reject/g)].at(-1)![1];
    await session.handle(`click ${reject}`);
    await shows("── dialog: Reject request ──");
    await shows("Why is it rejected?:");
    await session.handle("no");
    await shows("⚠️ Say why in a few words");
    await session.handle("colours need a design review first");
    await shows("(submitted)");
    await shows("🚫 rejected by @UAPPROVER1");
    expect(output).toContain("colours need a design review first");
  });

  it("explains what it does not understand, and a button that does not exist", async () => {
    await session.handle("deploy please");
    await session.handle("click 99");
    expect(output).toContain('Not understood: "deploy please"');
    expect(output).toContain("There is no button [99].");
  });
});
