import { writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { appliedVersions } from "./support/engine.ts";
import { migrationsFolder, rookery, scratchFolder } from "./support/cli.ts";
import { createTestDatabase, query } from "./support/services.ts";

describe("rookery apply VERSION on an environment with targets: the version runs where its folder is", () => {
  let cwd: string;
  let oltp: string;
  let content: string;
  let tenants: string[];

  beforeAll(async () => {
    const urls = await Promise.all(["avoltp", "avcontent", "avt1", "avt2", "avt3"].map((label) => createTestDatabase(label)));
    [oltp, content] = [urls[0]!, urls[1]!];
    tenants = urls.slice(2);
    cwd = scratchFolder();
    const oltpDir = migrationsFolder({
      "2025_11_01/001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n",
      "2025_11_01/002_invoices.sql": "CREATE TABLE invoices (id bigint PRIMARY KEY);\n",
    });
    // content reuses oltp's first version: two folders, two ledgers, the same number.
    const contentDir = migrationsFolder({ "2025_11_01/001_pages.sql": "CREATE TABLE pages (id bigint PRIMARY KEY);\n" });
    const tenantDir = migrationsFolder({
      "2025_11_03/001_leads.sql": "CREATE TABLE leads (id bigint PRIMARY KEY);\n",
      "2025_11_03/002_notes.sql": "CREATE TABLE notes (id bigint PRIMARY KEY);\n",
    });
    const config = {
      environments: {
        production: {
          targets: {
            oltp: { databaseUrl: oltp, dir: oltpDir },
            content: { databaseUrl: content, dir: contentDir },
            tenants: { dir: tenantDir, fleet: { databases: tenants.map((url, index) => ({ name: `t${index + 1}`, databaseUrl: url })), canary: 1, waveSize: 2 } },
          },
          targetOrder: ["oltp", "content", "tenants"],
        },
      },
    };
    writeFileSync(path.join(cwd, "rookery.config.yml"), stringify(config));
  });

  it("a fleet's version runs across its databases in waves, and nothing else runs anywhere", async () => {
    const run = await rookery(["apply", "20251103_000001"], {}, cwd);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("[tenants/t1] applying 20251103_000001 (1/1)");
    expect(run.stdout).toMatch(/tenants\s+t1\s+1\s+applied\s+\S+\s+20251103_000001/);
    expect(run.stdout).toMatch(/tenants\s+t3\s+2\s+applied\s+\S+\s+20251103_000001/);
    expect(run.stdout).not.toMatch(/^oltp/m);
    for (const url of tenants) expect(await appliedVersions(url)).toEqual(["20251103_000001"]);
    expect(await appliedVersions(oltp)).toEqual([]);
    expect(await appliedVersions(content)).toEqual([]);
  });

  it("a version in two folders is refused naming both; --target says which; a version in none is refused naming the targets", async () => {
    const ambiguous = await rookery(["apply", "20251101_000001"], {}, cwd);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain("20251101_000001 is in the folders of 2 targets of production (oltp, content): name one with --target");
    expect(await appliedVersions(oltp)).toEqual([]);

    const narrowed = await rookery(["apply", "20251101_000001", "--target", "content"], {}, cwd);
    expect(narrowed.code).toBe(0);
    expect(await appliedVersions(content)).toEqual(["20251101_000001"]);
    expect(await appliedVersions(oltp)).toEqual([]);

    const none = await rookery(["apply", "20251109_000001"], {}, cwd);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("there is no migration 20251109_000001 in the folder of any target of production (oltp, content, tenants)");

    const spread = await rookery(["apply", "20251101_000002", "20251103_000002"], {}, cwd);
    expect(spread.code).toBe(2);
    expect(spread.stderr).toContain("these versions belong to different targets (20251101_000002 in oltp, 20251103_000002 in tenants)");
    expect(await appliedVersions(oltp)).toEqual([]);
  });
});
