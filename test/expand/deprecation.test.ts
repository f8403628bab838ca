import { describe, expect, it } from "vitest";
import { applyMigrations } from "../../src/runner/index.ts";
import { migrationsFolder, rookery } from "../support/cli.ts";
import { configFile } from "../support/config-file.ts";
import { runContext, testEnvironment } from "../support/engine.ts";
import { query } from "../support/services.ts";
import { startSlackHarness, textOf, USERS } from "../support/slack-app.ts";
import { startThrowawayPostgres } from "../support/throwaway.ts";

const VERSION = "20251201_000001";
const SETUP = [
  "CREATE TABLE invoices (id bigint PRIMARY KEY, total integer NOT NULL, note text)",
  "INSERT INTO invoices SELECT g, g, 'n' || g FROM generate_series(1, 50) g",
  "CREATE TABLE legacy_customers (id bigint PRIMARY KEY)",
];

describe("deprecation first: the complete request of a DROP COLUMN / DROP TABLE says whether queries still use them", async () => {
  // pg_stat_statements needs shared_preload_libraries, which the shared server lacks and must not be restarted for.
  const server = await startThrowawayPostgres({ shared_preload_libraries: "pg_stat_statements" });
  await query(server.url, "CREATE DATABASE app");
  const appUrl = server.urlFor("app");
  await query(appUrl, "CREATE EXTENSION pg_stat_statements");
  const harness = await startSlackHarness({
    label: "exp-deprecation",
    migrations: { "2025_12_01/001_drop_note.sql": "-- rookery:expand-contract\nALTER TABLE invoices DROP COLUMN note;\nDROP TABLE legacy_customers;\n" },
    environments: (databaseUrl) => ({
      production: { databaseUrl: appUrl, approvals: 1, approvers: [USERS.approver1], deprecationWindowHours: 6 },
      staging: { databaseUrl, approvals: 1, approvers: [USERS.approver1] },
    }),
    jobs: false,
  });
  for (const url of [appUrl, harness.databaseUrl]) for (const statement of SETUP) await query(url, statement);
  const messageOf = (ref: { channel: string; ts: string }) => textOf(harness.fake.messages.get(`${ref.channel}/${ref.ts}`) as unknown as Record<string, unknown>);

  it("with pg_stat_statements: the column the old release still reads is flagged with its calls, the unused table is not, since the last reset", async () => {
    const report = await applyMigrations(runContext(testEnvironment(appUrl), harness.config.migrationsDir), { versions: [VERSION] });
    expect(report.failed).toBeUndefined();
    await query(appUrl, "SELECT pg_stat_statements_reset()");
    // The old release, not yet deployed, still reads the column the new version hides.
    for (const id of [1, 2, 3]) await query(appUrl, "SELECT id, note FROM invoices WHERE id = $1", [id]);
    const reset = (await query<{ stats_reset: Date }>(appUrl, "SELECT stats_reset FROM pg_stat_statements_info"))[0]!.stats_reset;
    const since = `since the statistics were last reset (${reset.toISOString().slice(0, 16).replace("T", " ")} UTC`;

    await harness.command(USERS.requester, `complete ${VERSION} production`);
    const message = messageOf(await harness.requestMessage(0));
    expect(message).toContain(`:warning: deprecated invoices.note: 1 query (3 calls) in pg_stat_statements still mention it ${since}`);
    expect(message).toContain(`:white_check_mark: deprecated legacy_customers: no query in pg_stat_statements mentions it ${since}`);
    expect(message).toContain("less than deprecationWindowHours (6 h)");
    // Nothing was dropped by asking.
    expect(await query(appUrl, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'invoices' AND column_name = 'note'")).toEqual([{ n: 1 }]);
  });

  it("on the command line: status (and --json) of the expanded version and `rookery complete` (and --json) show the same check", async () => {
    const env = { ROOKERY_CONFIG: configFile({ production: { databaseUrl: appUrl, deprecationWindowHours: 6 } }), MIGRATIONS_DIR: harness.config.migrationsDir };
    const used = /^ {2}WARNING deprecated invoices\.note: 1 query \(3 calls\) in pg_stat_statements still mention it since the statistics were last reset \(.+\); that is less than deprecationWindowHours \(6 h\)/m;
    const status = await rookery(["status"], env);
    expect(status.stdout).toMatch(used);
    expect(status.stdout).toMatch(/^ {2}ok deprecated legacy_customers: no query in pg_stat_statements mentions it/m);
    const json = JSON.parse((await rookery(["status", "--json"], env)).stdout);
    expect(json.migrations.find((migration: { version: string }) => migration.version === VERSION).expansion.deprecation).toMatchObject({
      installed: true,
      windowHours: 6,
      things: [{ name: "invoices.note", queries: 1, calls: 3 }, { name: "legacy_customers", queries: 0, calls: 0 }],
      lines: [expect.stringMatching(/^WARNING deprecated invoices\.note/), expect.stringMatching(/^ok deprecated legacy_customers/)],
    });

    const complete = await rookery(["complete", VERSION, "--json"], env);
    expect(complete.code).toBe(0);
    expect(JSON.parse(complete.stdout)).toMatchObject({
      ok: true,
      version: VERSION,
      deprecation: { installed: true, windowHours: 6, things: [{ name: "invoices.note", queries: 1, calls: 3 }, { name: "legacy_customers", queries: 0 }] },
    });
    // The check was read before the contract dropped them.
    expect(await query(appUrl, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'invoices' AND column_name = 'note'")).toEqual([{ n: 0 }]);
  });

  it("`rookery complete` prints the check above its result line", async () => {
    // A second version that drops a column the old release still reads, in plain text this time.
    const dir = migrationsFolder({
      "2025_12_01/001_drop_note.sql": "-- rookery:expand-contract\nALTER TABLE invoices DROP COLUMN note;\nDROP TABLE legacy_customers;\n",
      "2025_12_02/001_drop_total.sql": "-- rookery:expand-contract\n-- rookery:down total = 0\nALTER TABLE invoices DROP COLUMN total;\n",
    });
    const env = { ROOKERY_CONFIG: configFile({ production: { databaseUrl: appUrl } }), MIGRATIONS_DIR: dir };
    const apply = await rookery(["apply", "20251202_000001"], env);
    expect(apply.code, apply.stderr).toBe(0);
    await query(appUrl, "SELECT id, total FROM invoices WHERE id = $1", [1]);
    const complete = await rookery(["complete", "20251202_000001"], env);
    expect(complete.code).toBe(0);
    expect(complete.stdout).toMatch(/^WARNING deprecated invoices\.total: 1 query \(1 calls\) in pg_stat_statements still mention it .+deprecationWindowHours \(24 h\).+\n20251202_000001 {2}completed/m);
  });

  it("without pg_stat_statements: one line says it cannot be checked", async () => {
    const report = await applyMigrations(runContext(testEnvironment(harness.databaseUrl), harness.config.migrationsDir), { versions: [VERSION] });
    expect(report.failed).toBeUndefined();
    await harness.command(USERS.requester, `complete ${VERSION} staging`);
    const message = messageOf(await harness.requestMessage(1));
    expect(message).toContain("pg_stat_statements is not installed on staging: whether queries still use invoices.note, legacy_customers cannot be checked.");
    expect(message).not.toContain("deprecated invoices.note");
  });
});
