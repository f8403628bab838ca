import { writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { appliedVersions } from "./support/engine.ts";
import { migrationsFolder, rookery, scratchFolder, writeMigration } from "./support/cli.ts";
import { createTestDatabase, query } from "./support/services.ts";

describe("three targets in one environment", () => {
  let cwd: string;
  let oltp: string;
  let content: string;
  let tenants: string[];
  let contentDir: string;

  beforeAll(async () => {
    const urls = await Promise.all(["oltp", "content", "tenanta", "tenantb", "tenantc"].map((label) => createTestDatabase(label)));
    [oltp, content] = [urls[0]!, urls[1]!];
    tenants = urls.slice(2);
    cwd = scratchFolder();
    const oltpDir = migrationsFolder({
      "2025_11_01/001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n",
      "2025_11_01/002_invoices.sql": "CREATE TABLE invoices (id bigint PRIMARY KEY);\n",
    });
    contentDir = migrationsFolder({ "2025_11_02/001_pages.sql": "CREATE TABLE pages (id bigint PRIMARY KEY);\n" });
    const tenantDir = migrationsFolder({ "2025_11_03/001_leads.sql": "CREATE TABLE leads (id bigint PRIMARY KEY);\n" });
    const config = {
      environments: {
        production: {
          targets: {
            tenants: { dir: tenantDir, fleet: { databases: tenants.map((url, index) => ({ name: `tenant${index + 1}`, databaseUrl: url })), canary: 1, waveSize: 2 } },
            oltp: { databaseUrl: oltp, dir: oltpDir },
            content: { databaseUrl: content, dir: contentDir },
          },
          targetOrder: ["oltp", "content", "tenants"],
        },
      },
    };
    writeFileSync(path.join(cwd, "rookery.config.yml"), stringify(config));
  });

  it("status covers every target in targetOrder; --target narrows to one", async () => {
    const run = await rookery(["status"], {}, cwd);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const order = ["production/oltp", "production/content", "production/tenants"].map((name) => run.stdout.indexOf(name));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(run.stdout).toMatch(/fleet of 3 database\(s\)/);
    expect(run.stdout).toMatch(/at no version: 3 \(tenant1, tenant2, tenant3\)/);

    const narrowed = await rookery(["status", "--target", "content", "--json"], {}, cwd);
    const parsed = JSON.parse(narrowed.stdout);
    expect(parsed.targets.map((target: { target: string }) => target.target)).toEqual(["content"]);
    expect(parsed.targets[0].databases[0].counts.pending).toBe(1);

    const unknown = await rookery(["status", "--target", "nope"], {}, cwd);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown target "nope".*\n.*oltp, content, tenants/);
  });

  it("a failing target stops the rest and says what ran where; after the fix the same apply carries on", async () => {
    writeMigration(contentDir, "2025_11_02/002_broken.sql", "ALTER TABLE no_such_table ADD COLUMN x text;\n");
    const run = await rookery(["apply", "--all"], {}, cwd);
    expect(run.code).toBe(1);
    expect(await appliedVersions(oltp)).toEqual(["20251101_000001", "20251101_000002"]);
    expect(await appliedVersions(content)).toEqual(["20251102_000001"]);
    for (const url of tenants) expect(await query(url, "SELECT to_regclass('public.leads') AS t")).toEqual([{ t: null }]);
    expect(run.stdout).toMatch(/oltp\s+-\s+-\s+applied\s+\S+\s+20251101_000001, 20251101_000002/);
    expect(run.stdout).toMatch(/content\s+-\s+-\s+failed.*20251102_000002: .*no_such_table/);
    expect(run.stdout).toMatch(/tenants\s+tenant1\s+1\s+not started/);
    expect(run.stderr).toMatch(/failed: content\n/);
    expect(run.stderr).toMatch(/not started: tenants\/tenant1, tenants\/tenant2, tenants\/tenant3/);

    writeMigration(contentDir, "2025_11_02/002_broken.sql", "CREATE TABLE no_longer_broken (id int);\n");
    const again = await rookery(["apply", "--all", "--json"], {}, cwd);
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout);
    expect(report.targets.map((target: { target: string; status: string }) => `${target.target}:${target.status}`)).toEqual([
      "oltp:succeeded",
      "content:succeeded",
      "tenants:succeeded",
    ]);
    expect(report.targets[0].databases[0].status).toBe("up_to_date");
    expect(report.targets[2].databases.map((db: { wave: number }) => db.wave)).toEqual([1, 2, 2]);
    expect(await appliedVersions(content)).toEqual(["20251102_000001", "20251102_000002"]);
    for (const url of tenants) expect(await appliedVersions(url)).toEqual(["20251103_000001"]);

    const verify = await rookery(["verify", "--json"], {}, cwd);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout).targets.flatMap((target: { databases: { ok: boolean }[] }) => target.databases.map((db) => db.ok))).toEqual([true, true, true, true, true]);
    const health = await rookery(["health"], {}, cwd);
    expect(health.stdout).toMatch(/== production\/oltp .*==\n[\s\S]*== production\/content[\s\S]*production\/tenants: fleet of 3 database\(s\) ==\nno alerts/);
    const plan = await rookery(["plan", "--target", "tenants"], {}, cwd);
    expect(plan.stdout).toMatch(/3 would apply nothing \(up to date\) \(tenant1, tenant2, tenant3\)/);
  });
});

describe("a target whose own folder is not there", () => {
  it("is refused naming the target and its key, before anything runs on any target", async () => {
    const [oltp, content] = await Promise.all(["nodiroltp", "nodircontent"].map((label) => createTestDatabase(label)));
    const cwd = scratchFolder();
    const oltpDir = migrationsFolder({ "2025_11_01/001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n" });
    const config = {
      environments: {
        production: {
          targets: { oltp: { databaseUrl: oltp, dir: oltpDir }, content: { databaseUrl: content, dir: "migrations/contnet" } },
          targetOrder: ["oltp", "content"],
        },
      },
    };
    writeFileSync(path.join(cwd, "rookery.config.yml"), stringify(config));
    for (const args of [["apply", "--all"], ["status"], ["apply", "--all", "--dir", oltpDir]]) {
      const run = await rookery(args, {}, cwd);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toContain(`rookery: target content of production: its migrations folder ${path.join(cwd, "migrations/contnet")} does not exist`);
      expect(run.stderr).toContain("Fix targets.content.dir in the config");
    }
    expect(await appliedVersions(oltp!)).toEqual([]);
  });
});
