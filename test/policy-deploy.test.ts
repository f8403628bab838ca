import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCatalog, type Catalog } from "../src/catalog/index.ts";
import { loadConfig, type Config } from "../src/config/index.ts";
import { authoriseBreakGlass } from "../src/policy/break-glass.ts";
import { checkDeployPolicy } from "../src/policy/deploy.ts";
import { freezeEnvironment, unfreezeEnvironment } from "../src/policy/freeze.ts";
import { migrationsFolder } from "./support/cli.ts";
import { configFile } from "./support/config-file.ts";
import { createTestDatabase, query } from "./support/services.ts";

const VERSION = "20251101_000001";
// Saturday 2025-11-08 12:00 UTC: outside production's weekday window; it next opens Monday 09:00 Berlin.
const SATURDAY = new Date("2025-11-08T12:00:00Z");
const WEDNESDAY = new Date("2025-11-05T10:00:00Z");

let config: Config;
let catalog: Catalog;
let productionUrl: string;
let controlUrl: string;
let control: pg.Pool;

function decide(environment: string, kind: "apply" | "rollback", now: Date, breakGlass = false) {
  return checkDeployPolicy({
    config,
    environment: config.environments[environment]!,
    catalog,
    migrations: [{ version: VERSION, checksum: catalog.byVersion.get(VERSION)!.checksum }],
    kind,
    breakGlass,
    now,
  });
}

beforeAll(async () => {
  productionUrl = await createTestDatabase("deploy_production");
  controlUrl = await createTestDatabase("deploy_control");
  control = new pg.Pool({ connectionString: controlUrl, max: 2 });
  control.on("error", () => {});
  const dir = migrationsFolder({ "2025_11_01/001_add_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n" });
  const file = configFile({
    production: {
      databaseUrl: productionUrl,
      approvals: 2,
      approvers: ["UAPPROVER1", "UAPPROVER2"],
      breakGlass: true,
      windows: [{ days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "17:00", timeZone: "Europe/Berlin" }],
    },
    reporting: { databaseUrl: productionUrl },
  });
  config = loadConfig({ env: { ROOKERY_CONFIG: file, CONTROL_DATABASE_URL: controlUrl }, migrationsDir: dir });
  catalog = readCatalog(dir);
});

afterAll(async () => {
  await control.end();
});

describe("deployment windows and freezes", () => {
  it("refuses a request outside every window with the next open time; accepts inside", async () => {
    const outside = await decide("production", "apply", SATURDAY);
    expect(outside.allowed).toBe(false);
    expect(outside.nextOpen?.toISOString()).toBe("2025-11-10T08:00:00.000Z");
    expect(outside.reasons).toEqual([
      "outside the deployment windows (mon,tue,wed,thu,fri 09:00-17:00 Europe/Berlin); next window opens 2025-11-10 09:00 Europe/Berlin (08:00 UTC)",
    ]);
    expect(await decide("production", "apply", WEDNESDAY)).toEqual({ allowed: true, reasons: [] });
  });

  it("a freeze refuses applies and rollbacks with who froze it and why, only in that environment, until unfrozen", async () => {
    await freezeEnvironment(control, { environment: "production", reason: "Black Friday", by: "UAPPROVER1" });
    for (const kind of ["apply", "rollback"] as const) {
      const decision = await decide("production", kind, WEDNESDAY);
      expect(decision.allowed).toBe(false);
      expect(decision.reasons).toHaveLength(1);
      expect(decision.reasons[0]).toMatch(/^production is frozen by UAPPROVER1 since .* UTC: Black Friday$/);
    }
    expect((await decide("reporting", "apply", WEDNESDAY)).allowed).toBe(true);
    await unfreezeEnvironment(control, { environment: "production", by: "UAPPROVER2" });
    expect((await decide("production", "apply", WEDNESDAY)).allowed).toBe(true);
  });

  it("break glass lets a rollback through a freeze and a closed window, but never an apply, and only where enabled", async () => {
    await freezeEnvironment(control, { environment: "production", reason: "incident", by: "UAPPROVER1" });
    await freezeEnvironment(control, { environment: "reporting", reason: "incident", by: "UAPPROVER1" });
    expect(await decide("production", "rollback", SATURDAY, true)).toEqual({ allowed: true, reasons: [] });

    const apply = await decide("production", "apply", SATURDAY, true);
    expect(apply.allowed).toBe(false);
    expect(apply.reasons[0]).toBe("break glass is for rollbacks only");

    const disabled = await decide("reporting", "rollback", WEDNESDAY, true);
    expect(disabled.allowed).toBe(false);
    expect(disabled.reasons).toContain("break glass is not enabled for reporting (set breakGlass: true in its config)");
    await unfreezeEnvironment(control, { environment: "production", by: "UAPPROVER1" });
    await unfreezeEnvironment(control, { environment: "reporting", by: "UAPPROVER1" });
  });
});

describe("break-glass authorisation", () => {
  const input = (overrides: Partial<Parameters<typeof authoriseBreakGlass>[0]> = {}) => ({
    config,
    environment: config.environments.production!,
    catalog,
    version: VERSION,
    reason: `checkout is down; "revert" it`,
    actor: "slack:UAPPROVER1",
    isApprover: true,
    now: SATURDAY,
    ...overrides,
  });

  it("refuses someone outside the approvers, an environment without break glass, and an empty reason, recording nothing", async () => {
    await expect(authoriseBreakGlass(input({ isApprover: false }))).rejects.toThrow("only production's approvers may break glass");
    await expect(authoriseBreakGlass(input({ environment: config.environments.reporting! }))).rejects.toThrow(
      "break glass is not enabled for reporting",
    );
    await expect(authoriseBreakGlass(input({ reason: " " }))).rejects.toThrow("an emergency rollback needs a reason");
    expect(await query(productionUrl, "SELECT to_regclass('public.migration_events') AS t")).toEqual([{ t: null }]);
  });

  it("an approver breaks glass through a freeze outside the window: what was set aside is audited and alerted", async () => {
    await freezeEnvironment(control, { environment: "production", reason: "quarter close", by: "UAPPROVER2" });
    const { bypassed } = await authoriseBreakGlass(input());
    expect(bypassed[0]).toBe("2 approval(s)");
    expect(bypassed[1]).toMatch(/^production is frozen by UAPPROVER2/);
    expect(bypassed[2]).toMatch(/^outside the deployment windows/);

    const events = await query(productionUrl, "SELECT version, actor, reason, migration_type FROM migration_events WHERE event = 'policy_override'");
    expect(events).toEqual([{ version: VERSION, actor: "slack:UAPPROVER1", reason: `checkout is down; "revert" it`, migration_type: "break_glass" }]);
    const alerts = await query<{ severity: string; message: string }>(productionUrl, "SELECT severity, message FROM system_notifications WHERE category = 'policy'");
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.severity).toBe("warning");
    expect(alerts[0]!.message).toContain("slack:UAPPROVER1 ran break_glass 20251101_000001 setting aside: 2 approval(s); production is frozen");
    const audit = await query(controlUrl, "SELECT actor, action FROM rookery_control.audit_log");
    expect(audit).toEqual([{ actor: "slack:UAPPROVER1", action: "policy.override.break_glass" }]);
  });
});
