import { writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { migrationsFolder, rookery, scratchFolder } from "./support/cli.ts";
import { createTestDatabase, query } from "./support/services.ts";

const MIGRATIONS = {
  "2025_11_03/001_leads.sql": "CREATE TABLE leads (id bigint PRIMARY KEY);\n",
  "2025_11_03/002_campaigns.sql": "CREATE TABLE campaigns (id bigint PRIMARY KEY);\n",
  "2025_11_03/003_lead_email.sql": "ALTER TABLE leads ADD COLUMN email text;\n",
};

interface DatabaseRow {
  database: string;
  wave: number;
  status: string;
}

async function appliedEvents(url: string): Promise<string[]> {
  const ledger = await query<{ present: string | null }>(url, "SELECT to_regclass('public.migration_events')::text AS present");
  if (!ledger[0]!.present) return [];
  const rows = await query<{ version: string }>(url, "SELECT version FROM migration_events WHERE event = 'applied' ORDER BY version");
  return rows.map((row) => row.version);
}

function writeConfig(cwd: string, environment: Record<string, unknown>): void {
  writeFileSync(path.join(cwd, "rookery.config.yml"), stringify({ environments: { production: environment } }));
}

describe("a fleet of 20 tenant databases from the command line", () => {
  const names = Array.from({ length: 20 }, (_, index) => `tenant${String(index + 1).padStart(2, "0")}`);
  let urls: string[];
  let cwd: string;

  beforeAll(async () => {

    urls = await Promise.all(names.map((name) => createTestDatabase(name)));
    // tenant07 is broken: a table of the first migration is already there.
    await query(urls[6]!, "CREATE TABLE leads (id int)");
    cwd = scratchFolder();
    const dir = migrationsFolder(MIGRATIONS);
    writeConfig(cwd, {
      targets: {
        tenants: {
          dir,
          fleet: { databases: names.map((name, index) => ({ name, databaseUrl: urls[index] })), canary: 1, waveSize: 5, maxParallel: 3 },
        },
      },
      databaseUrl: urls[0],
    });
  }, 60_000);

  it("halts the broken database's wave, names what failed and what did not start, and carries on after the fix", async () => {
    const run = await rookery(["apply", "--all", "--json"], {}, cwd);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    const fleet: DatabaseRow[] = report.targets[0].databases;
    expect(report.targets[0].waves).toBe(5);
    expect(report.targets[0].halted).toMatch(/wave 3 of 5 halted: 1 of 20 database\(s\) failed/);
    const statusOf = (name: string) => fleet.find((row) => row.database === name)!.status;
    // canary (1) and wave 2 (2-6) ran whole; tenant07 opened wave 3 and failed; waves 4 and 5 never started.
    for (const name of names.slice(0, 6)) expect(statusOf(name)).toBe("applied");
    expect(statusOf("tenant07")).toBe("failed");
    for (const name of names.slice(11)) expect(statusOf(name)).toBe("not_started");
    // What the report says is what the databases hold: every applied one has all three, the others none.
    for (const [index, name] of names.entries()) {
      const expected = statusOf(name) === "applied" ? Object.keys(MIGRATIONS).map((_, n) => `20251103_00000${n + 1}`) : [];
      expect(await appliedEvents(urls[index]!), name).toEqual(expected);
    }
    const failedRow = await query(urls[6]!, "SELECT version, status FROM schema_migrations");
    expect(failedRow).toEqual([{ version: "20251103_000001", status: "failed" }]);

    const text = await rookery(["status"], {}, cwd);
    expect(text.stdout).toMatch(/fleet of 20 database\(s\)/);
    expect(text.stdout).toMatch(/at 20251103_000003: \d+ \(tenant01, tenant02/);
    expect(text.stdout).toMatch(/FAILED: tenant07 \(20251103_000001\)/);

    const health = await rookery(["health"], {}, cwd);
    expect(health.stdout).toMatch(/CRITICAL 20251103_000001 FAILED on 1 \(tenant07\)/);
    const plan = await rookery(["plan"], {}, cwd);
    expect(plan.stdout).toMatch(/\d+ would apply nothing \(up to date\) \(tenant01, tenant02/);
    expect(plan.stdout).toMatch(/\d+ would apply 20251103_000001, 20251103_000002, 20251103_000003 \(.*tenant07/);

    // The same apply in text: the failed database and those not started are named on stderr.
    const again = await rookery(["apply", "--all", "--parallel", "2"], {}, cwd);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/failed: tenants\/tenant07\n/);
    expect(again.stderr).toMatch(/not started: .*tenants\/tenant12, .*tenants\/tenant20/);
    expect(again.stdout).toMatch(/tenants\s+tenant01\s+1\s+up to date/);

    await query(urls[6]!, "DROP TABLE leads");
    const fixed = await rookery(["apply", "--all", "--json"], {}, cwd);
    expect(fixed.code).toBe(0);
    const after: DatabaseRow[] = JSON.parse(fixed.stdout).targets[0].databases;
    for (const name of names.slice(0, 6)) expect(after.find((row) => row.database === name)!.status).toBe("up_to_date");
    expect(after.find((row) => row.database === "tenant07")!.status).toBe("applied");
    // Each database applied each migration exactly once, over the three runs.
    for (const [index, name] of names.entries()) {
      expect(await appliedEvents(urls[index]!), name).toEqual(["20251103_000001", "20251103_000002", "20251103_000003"]);
    }
  }, 120_000);
});

describe("a fleet read from a registry", () => {
  let registry: string;
  let oltp: string;
  let tenantA: string;
  let tenantB: string;
  let cwd: string;
  let dir: string;

  beforeAll(async () => {
    const made = await Promise.all(["registry", "regoltp", "rega", "regb"].map((label) => createTestDatabase(label)));
    [registry, oltp, tenantA, tenantB] = made as [string, string, string, string];
    await query(registry, "CREATE TABLE tenant_databases (position int, name text, url text)");
    cwd = scratchFolder();
    dir = migrationsFolder(MIGRATIONS);
  });

  function configWith(query: string): void {
    writeConfig(cwd, {
      targets: {
        oltp: { databaseUrl: oltp, dir },
        tenants: { dir, fleet: { registry: { databaseUrl: registry, query } } },
      },
    });
  }

  it("a registry query that fails is a clear refusal, and nothing runs on any target", async () => {
    configWith("SELECT name, url FROM no_such_registry");
    const run = await rookery(["apply", "--all"], {}, cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/fleet tenants: the registry query failed: relation "no_such_registry" does not exist; nothing was run/);
    expect(await appliedEvents(oltp)).toEqual([]);
  });

  it("a registry database that cannot be reached is refused naming the registry, not the environment's databaseUrl", async () => {
    const gone = new URL(registry);
    gone.pathname = "/rookery_no_such_registry";
    writeConfig(cwd, {
      targets: {
        oltp: { databaseUrl: oltp, dir },
        tenants: { dir, fleet: { registry: { databaseUrl: gone.toString(), query: "SELECT name, url FROM tenant_databases" } } },
      },
    });
    const run = await rookery(["apply", "--all"], {}, cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/fleet tenants: the registry query failed: cannot connect to the database at .*rookery_no_such_registry.*does not exist; nothing was run\n/);
    expect(run.stderr).toContain("Fix the registry (fleet.registry.databaseUrl");
    expect(run.stderr).not.toContain("DATABASE_URL");
    expect(await appliedEvents(oltp)).toEqual([]);
  });

  it("a registry row with a bad URL is refused, naming the row, without printing its password", async () => {
    await query(registry, "INSERT INTO tenant_databases VALUES (1, 'acme', $1), (2, 'bolt', 'mysql://root:hunter2@db/bolt'), (3, 'crane', NULL)", [tenantA]);
    configWith("SELECT name, url FROM tenant_databases ORDER BY position");
    const run = await rookery(["apply", "--all"], {}, cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/fleet tenants: the registry returned 2 bad row\(s\)/);
    expect(run.stderr).toMatch(/"bolt" \(mysql:\/\/root:\*\*\*@db\/bolt\): databaseUrl: a postgres:\/\/user@host:port\/database connection URL/);
    expect(run.stderr).toMatch(/"crane": databaseUrl/);
    expect(run.stderr).not.toContain("hunter2");
    expect(await appliedEvents(oltp)).toEqual([]);
    expect(await appliedEvents(tenantA)).toEqual([]);
  });

  it("a registry that returns no rows is refused, and nothing runs on any target", async () => {
    configWith("SELECT name, url FROM tenant_databases WHERE false");
    const run = await rookery(["apply", "--all"], {}, cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/fleet tenants: the registry query returned no rows, and a fleet needs at least one database; nothing was run/);
    expect(await appliedEvents(oltp)).toEqual([]);
  });

  it("a good registry is the fleet, in the order it returns", async () => {
    await query(registry, "DELETE FROM tenant_databases");
    await query(registry, "INSERT INTO tenant_databases VALUES (1, 'bolt', $1), (2, 'acme', $2)", [tenantB, tenantA]);
    configWith("SELECT name, url FROM tenant_databases ORDER BY position");
    const run = await rookery(["apply", "--all", "--json"], {}, cwd);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.targets[1].databases.map((row: DatabaseRow) => `${row.database}:${row.wave}`)).toEqual(["bolt:1", "acme:2"]);
    expect(await appliedEvents(tenantA)).toHaveLength(3);
    expect(await appliedEvents(tenantB)).toHaveLength(3);
  });
});

describe("a fleet database that cannot be reached", () => {
  it("fails there with its error and halts the run, and the report still says what ran where", async () => {
    const [acme, bolt, dune] = await Promise.all(["unreacha", "unreachb", "unreachd"].map((label) => createTestDatabase(label)));
    const ghost = new URL(acme!);
    ghost.pathname = "/rookery_no_such_database";
    const cwd = scratchFolder();
    writeConfig(cwd, {
      targets: {
        tenants: {
          dir: migrationsFolder(MIGRATIONS),
          fleet: {
            databases: [
              { name: "acme", databaseUrl: acme },
              { name: "bolt", databaseUrl: bolt },
              { name: "ghost", databaseUrl: ghost.toString() },
              { name: "dune", databaseUrl: dune },
            ],
            canary: 1,
            waveSize: 2,
          },
        },
      },
      databaseUrl: acme,
    });
    const run = await rookery(["apply", "--all", "--json"], {}, cwd);
    expect(run.code).toBe(1);
    const fleet: (DatabaseRow & { error: string | null })[] = JSON.parse(run.stdout).targets[0].databases;
    expect(fleet.map((row) => `${row.database}:${row.wave}:${row.status}`)).toEqual(["acme:1:applied", "bolt:2:not_started", "ghost:2:failed", "dune:3:not_started"]);
    expect(fleet[2]!.error).toMatch(/^could not check production's deployment policy on tenants\/ghost: cannot connect to the database at .*rookery_no_such_database/);
    expect(await appliedEvents(acme!)).toHaveLength(3);
    expect(await appliedEvents(bolt!)).toEqual([]);

    // The read commands name it, one line per database that could not be read.
    const status = await rookery(["status"], {}, cwd);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/could not read 1 database\(s\):\n  tenants\/ghost: cannot connect to the database at [^\n]*rookery_no_such_database[^\n]*\n$/);

    const text = await rookery(["apply", "--all"], {}, cwd);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/tenants\s+acme\s+1\s+up to date/);
    expect(text.stderr).toContain("rookery: failed: tenants/ghost\n");
    expect(text.stderr).toContain("rookery: not started: tenants/bolt, tenants/dune\n");
    expect(await appliedEvents(acme!)).toHaveLength(3);
    expect(await appliedEvents(bolt!)).toEqual([]);
  });
});
