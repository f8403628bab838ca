import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { applyCommand } from "../src/cli/apply.ts";
import type { CliIO } from "../src/cli/command.ts";
import { freezeCommand } from "../src/cli/freeze.ts";
import { rollbackCommand } from "../src/cli/rollback.ts";
import { createTestDatabase, query } from "./support/services.ts";

const VERSION = "20251101_000001";
const OVERRIDE_REASON = `hotfix for incident 4711: it's "urgent"; DROP TABLE accounts; --`;

let env: NodeJS.ProcessEnv;
let productionUrl: string;
let controlUrl: string;

function capture(): CliIO & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
    env,
    cwd: tmpdir(),
  };
  return io;
}

async function productionTables(): Promise<string[]> {
  const rows = await query<{ table_name: string }>(productionUrl, "SELECT table_name FROM information_schema.tables WHERE table_name = 'accounts'");
  return rows.map((row) => row.table_name);
}

beforeAll(async () => {
  const stagingUrl = await createTestDatabase("pcli_staging");
  productionUrl = await createTestDatabase("pcli_production");
  controlUrl = await createTestDatabase("pcli_control");
  const dir = mkdtempSync(path.join(tmpdir(), "rookery-policy-cli-"));
  mkdirSync(path.join(dir, "2025_11_01"));
  writeFileSync(path.join(dir, "2025_11_01", "001_add_accounts.sql"), "CREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n");
  writeFileSync(path.join(dir, "2025_11_01", "rollback_001_add_accounts.sql"), "DROP TABLE IF EXISTS accounts;\n");
  const configFile = path.join(dir, "rookery.config.yml");
  writeFileSync(
    configFile,
    [
      "environments:",
      "  staging:",
      `    databaseUrl: ${stagingUrl}`,
      "  production:",
      `    databaseUrl: ${productionUrl}`,
      "    requireStaging: staging",
    ].join("\n"),
  );
  env = { ROOKERY_CONFIG: configFile, MIGRATIONS_DIR: dir, CONTROL_DATABASE_URL: controlUrl, ROOKERY_ACTOR: "cli:tester" };
});

describe("the command line obeys the deployment policy", () => {
  it("refuses `apply --env production` without staging: exit 1, the reasons listed, nothing applied", async () => {
    const io = capture();
    expect(await applyCommand.run(["--all", "--env", "production"], io)).toBe(1);
    expect(io.err).toContain("refused by production's deployment policy:");
    expect(io.err).toContain(`  - ${VERSION} is not applied on staging`);
    expect(io.err).toContain("--override-policy --reason");
    expect(await productionTables()).toEqual([]);
    expect(await query(productionUrl, "SELECT version FROM schema_migrations")).toEqual([]);
  });

  it("--override-policy without a reason is a usage error", async () => {
    const io = capture();
    expect(await applyCommand.run([VERSION, "--env", "production", "--override-policy"], io)).toBe(2);
    expect(io.err).toContain("--override-policy needs --reason TEXT");
    expect(await productionTables()).toEqual([]);
  });

  it("--override-policy --reason proceeds, audited in the history and the control log, and alerted", async () => {
    const io = capture();
    expect(await applyCommand.run([VERSION, "--env", "production", "--override-policy", "--reason", OVERRIDE_REASON], io)).toBe(0);
    expect(io.err).toContain("policy overridden (recorded and alerted)");
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
    const freezeIo = capture();
    expect(await freezeCommand.run(["--env", "production", "--reason", "quarter close"], freezeIo)).toBe(0);
    expect(freezeIo.out).toMatch(/^production is frozen by cli:tester since .* UTC: quarter close\n$/);

    const refused = capture();
    expect(await rollbackCommand.run([VERSION, "--env", "production", "--reason", "undo"], refused)).toBe(1);
    expect(refused.err).toMatch(/refused by production's deployment policy:\n {2}- production is frozen by cli:tester since .* UTC: quarter close/);
    expect(await productionTables()).toEqual(["accounts"]);

    expect(await freezeCommand.run(["--env", "production", "--lift"], capture())).toBe(0);
    const accepted = capture();
    expect(await rollbackCommand.run([VERSION, "--env", "production", "--reason", "undo"], accepted)).toBe(0);
    expect(await productionTables()).toEqual([]);
  });

  it("`rookery freeze` lists every environment's state; lifting an open one exits 1", async () => {
    const io = capture();
    expect(await freezeCommand.run(["--json"], io)).toBe(0);
    expect(JSON.parse(io.out)).toEqual({ ok: true, environments: { staging: { frozen: false }, production: { frozen: false } } });
    const lift = capture();
    expect(await freezeCommand.run(["--env", "staging", "--lift"], lift)).toBe(1);
    expect(lift.err).toContain("staging is not frozen");
  });
});
