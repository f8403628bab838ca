import { beforeAll, describe, expect, it } from "vitest";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { configFile } from "./support/config-file.ts";
import { createTestDatabase, query } from "./support/services.ts";

const VERSION = "20251101_000001";
const OVERRIDE_REASON = `hotfix for incident 4711: it's "urgent"; DROP TABLE accounts; --`;

let env: Record<string, string>;
let productionUrl: string;
let controlUrl: string;

async function productionTables(): Promise<string[]> {
  const rows = await query<{ table_name: string }>(productionUrl, "SELECT table_name FROM information_schema.tables WHERE table_name = 'accounts'");
  return rows.map((row) => row.table_name);
}

beforeAll(async () => {
  const stagingUrl = await createTestDatabase("pcli_staging");
  productionUrl = await createTestDatabase("pcli_production");
  controlUrl = await createTestDatabase("pcli_control");
  const dir = migrationsFolder({
    "2025_11_01/001_add_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n",
    "2025_11_01/rollback_001_add_accounts.sql": "DROP TABLE IF EXISTS accounts;\n",
  });
  const config = configFile({
    staging: { databaseUrl: stagingUrl },
    production: { databaseUrl: productionUrl, requireStaging: "staging" },
  });
  env = { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir, CONTROL_DATABASE_URL: controlUrl };
});

describe("the command line obeys the deployment policy", () => {
  it("refuses `apply --env production` without staging: exit 1, the reasons listed, nothing applied", async () => {
    const run = await rookery(["apply", "--all", "--env", "production"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("refused by production's deployment policy:");
    expect(run.stderr).toContain(`  - ${VERSION} is not applied on staging`);
    expect(run.stderr).toContain("--override-policy --reason");
    expect(await productionTables()).toEqual([]);
    expect(await query(productionUrl, "SELECT version FROM schema_migrations")).toEqual([]);
  });

  it("--override-policy without a reason is a usage error", async () => {
    const run = await rookery(["apply", VERSION, "--env", "production", "--override-policy"], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--override-policy needs --reason TEXT");
    expect(await productionTables()).toEqual([]);
  });

  it("--override-policy --reason proceeds, audited in the history and the control log, and alerted", async () => {
    const run = await rookery(["apply", VERSION, "--env", "production", "--override-policy", "--reason", OVERRIDE_REASON], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("policy overridden (recorded and alerted)");
    expect(await productionTables()).toEqual(["accounts"]);

    const events = await query(productionUrl, "SELECT version, actor, reason, detail FROM migration_events WHERE event = 'policy_override'");
    expect(events).toEqual([
      {
        version: VERSION,
        actor: "cli:tester",
        reason: OVERRIDE_REASON,
        detail: { kind: "apply", versions: [VERSION], overridden: [`${VERSION} is not applied on staging`] },
      },
    ]);
    const alerts = await query(productionUrl, "SELECT severity, title FROM system_notifications WHERE category = 'policy'");
    expect(alerts).toEqual([{ severity: "warning", title: "Deployment policy overridden on production" }]);
    const audit = await query(controlUrl, "SELECT actor, action, environment, detail->>'reason' AS reason FROM rookery_control.audit_log");
    expect(audit).toEqual([{ actor: "cli:tester", action: "policy.override.apply", environment: "production", reason: OVERRIDE_REASON }]);
  });

  it("a freeze refuses a rollback naming who froze it and why; after unfreezing it runs", async () => {
    const frozen = await rookery(["freeze", "--env", "production", "--reason", "quarter close"], env);
    expect(frozen.code).toBe(0);
    expect(frozen.stdout).toMatch(/^production is frozen by cli:tester since .* UTC: quarter close\n$/);

    const refused = await rookery(["rollback", VERSION, "--env", "production", "--reason", "undo"], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused by production's deployment policy:\n {2}- production is frozen by cli:tester since .* UTC: quarter close/);
    expect(await productionTables()).toEqual(["accounts"]);

    expect((await rookery(["freeze", "--env", "production", "--lift"], env)).code).toBe(0);
    const accepted = await rookery(["rollback", VERSION, "--env", "production", "--reason", "undo"], env);
    expect(accepted.code).toBe(0);
    expect(await productionTables()).toEqual([]);
  });

  it("a frozen apply lists every reason, the freeze's and staging's, and runs nothing; an override records both; a frozen `rollback --last` rolls nothing back", async () => {
    expect((await rookery(["freeze", "--env", "production", "--reason", "release night"], env)).code).toBe(0);
    try {
      const refused = await rookery(["apply", "--all", "--env", "production"], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/refused by production's deployment policy:\n {2}- production is frozen by cli:tester since .* UTC: release night\n {2}- 20251101_000001 is not applied on staging\n/);
      expect(await productionTables()).toEqual([]);
      expect(await query(productionUrl, "SELECT version, status FROM schema_migrations")).toEqual([{ version: VERSION, status: "rolled_back" }]);

      const overridden = await rookery(["apply", "--all", "--env", "production", "--override-policy", "--reason", "release night fix"], env);
      expect(overridden.code).toBe(0);
      expect(await productionTables()).toEqual(["accounts"]);
      const [latest] = await query<{ detail: { overridden: string[] } }>(productionUrl, "SELECT detail FROM migration_events WHERE event = 'policy_override' AND reason = 'release night fix'");
      expect(latest!.detail.overridden).toEqual([expect.stringMatching(/^production is frozen by cli:tester since .* UTC: release night$/), `${VERSION} is not applied on staging`]);

      const rollback = await rookery(["rollback", "--last", "1", "--env", "production", "--reason", "undo"], env);
      expect(rollback.code).toBe(1);
      expect(rollback.stderr).toMatch(/refused by production's deployment policy:\n {2}- production is frozen by cli:tester since .* UTC: release night/);
      expect(rollback.stderr).not.toContain("rolling back 1 version");
      expect(await productionTables()).toEqual(["accounts"]);
      expect(await query(productionUrl, "SELECT status FROM schema_migrations")).toEqual([{ status: "applied" }]);
    } finally {
      await rookery(["freeze", "--env", "production", "--lift"], env);
    }
  });

  it("`rookery freeze` lists every environment's state; lifting an open one exits 1", async () => {
    const run = await rookery(["freeze", "--json"], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ ok: true, environments: { staging: { frozen: false }, production: { frozen: false } } });
    const lift = await rookery(["freeze", "--env", "staging", "--lift"], env);
    expect(lift.code).toBe(1);
    expect(lift.stderr).toContain("staging is not frozen");
  });
});

describe("a database that is its own control database (DATABASE_URL alone)", () => {
  it("a freeze, read on the run's own session, refuses `rollback --last` and `apply --all` before anything runs; lifted, both run", async () => {
    const url = await createTestDatabase("pcli_single");
    const dir = migrationsFolder({
      "2025_11_01/001_add_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n",
      "2025_11_01/rollback_001_add_accounts.sql": "DROP TABLE IF EXISTS accounts;\n",
      "2025_11_01/002_add_notes.sql": "CREATE TABLE notes (id bigint PRIMARY KEY);\n",
    });
    const single = { DATABASE_URL: url, MIGRATIONS_DIR: dir };
    const tables = async () => (await query<{ t: string }>(url, "SELECT table_name AS t FROM information_schema.tables WHERE table_name IN ('accounts', 'notes') ORDER BY 1")).map((row) => row.t);
    expect((await rookery(["apply", VERSION], single)).code).toBe(0);
    const frozen = await rookery(["freeze", "--reason", "audit week"], single);
    expect(frozen.code, frozen.stderr).toBe(0);

    const rollback = await rookery(["rollback", "--last", "1", "--reason", "undo"], single);
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toMatch(/refused by development's deployment policy:\n {2}- development is frozen by cli:tester since .* UTC: audit week/);
    const apply = await rookery(["apply", "--all"], single);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain("development is frozen by cli:tester");
    expect(await tables()).toEqual(["accounts"]);
    expect(await query(url, "SELECT version, status FROM schema_migrations")).toEqual([{ version: VERSION, status: "applied" }]);

    expect((await rookery(["freeze", "--lift"], single)).code).toBe(0);
    expect((await rookery(["rollback", "--last", "1", "--reason", "undo"], single)).code).toBe(0);
    expect((await rookery(["apply", "--all"], single)).code).toBe(0);
    expect(await tables()).toEqual(["accounts", "notes"]);
  });
});
