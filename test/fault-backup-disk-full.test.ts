import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmdirSync, statfsSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { listBackups } from "../src/runner/backup.ts";
import { migrationsFolder, rookery, scratchFolder } from "./support/cli.ts";
import { configFile } from "./support/config-file.ts";
import { eventsOf, ledgerRows, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

/** A 512 KiB tmpfs: a disk that fills up. Needs mount rights (root); skipped where there are none. */
function smallDisk(): string | undefined {
  const dir = path.join(scratchFolder(), "small-disk");
  mkdirSync(dir);
  if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", dir]).status !== 0) return undefined;
  afterAll(() => {
    spawnSync("umount", [dir]);
    rmdirSync(dir);
  });
  return dir;
}

const disk = smallDisk();

describe.skipIf(!disk)("a backup that fills the disk", async () => {
  // A skipped suite's body still runs while the file is collected, but no hook of the file runs: no database then.
  const url = disk ? await createTestDatabase("fault-diskfull") : "";
  const dir = migrationsFolder({
    "2025_11_01/001_create_blobs.sql": "CREATE TABLE blobs (id int PRIMARY KEY, body text);\n",
    "2025_11_01/002_add_note.sql": "ALTER TABLE blobs ADD COLUMN note text;\n",
  });
  const environment = { ...testEnvironment(url, { backup: true, backupDir: disk }), name: "production" };

  it("fails the apply, leaves no partial dump, and lists only the verified backups", async () => {
    const first = await applyMigrations({ environment, catalog: readCatalog(dir), actor: "cli:tester" }, { versions: ["20251101_000001"] });
    expect(first.failed).toBeUndefined();
    const [good] = listBackups(environment);
    expect(good).toBeDefined();
    const recorded = (await eventsOf(url, "20251101_000001")).find((event) => event.event === "backup");
    expect(recorded?.detail).toMatchObject({ name: good!.name, sizeBytes: good!.sizeBytes, verified: true });
    expect((recorded?.detail as { sha256?: string }).sha256).toMatch(/^[0-9a-f]{64}$/);
    const freeBefore = statfsSync(disk!).bavail;

    // Several MiB of incompressible text: the next dump cannot fit.
    await query(url, "INSERT INTO blobs SELECT g, string_agg(md5(g::text || x::text), '') FROM generate_series(1, 2000) g, generate_series(1, 30) x GROUP BY g");
    const config = configFile({ production: { databaseUrl: url, backup: true, backupDir: disk } });
    const run = await rookery(["apply", "--all", "--dir", dir, "--config", config], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the backup of production failed, so nothing was applied");
    expect(run.stderr).toMatch(/No space left on device|ENOSPC/);
    expect((await ledgerRows(url)).map((row) => [row.version, row.status])).toEqual([["20251101_000001", "applied"]]);

    expect(readdirSync(disk!)).toEqual([good!.name]);
    expect(statfsSync(disk!).bavail).toBe(freeBefore);
    const list = await rookery(["backup", "list", "--config", config], {});
    expect(list.code).toBe(0);
    expect(list.stdout.match(/production_\S+/g)).toEqual([good!.name]);
  });
});

describe("backup retention", async () => {
  const url = await createTestDatabase("fault-backupkeep");
  const backupDir = path.join(scratchFolder(), "backups");

  it("keeps the newest backupKeep dumps", async () => {
    const dir = scratchFolder();
    const environment = testEnvironment(url, { backup: true, backupDir, backupKeep: 2 });
    for (const sequence of [1, 2, 3]) {
      // Backup names carry the second they were taken.
      if (sequence > 1) await new Promise((resolve) => setTimeout(resolve, 1100));
      mkdirSync(path.join(dir, "2025_11_01"), { recursive: true });
      writeFileSync(path.join(dir, `2025_11_01/00${sequence}_create_t${sequence}.sql`), `CREATE TABLE t${sequence} (id int);\n`);
      const report = await applyMigrations({ environment, catalog: readCatalog(dir), actor: "cli:tester" });
      expect(report.failed).toBeUndefined();
    }
    const kept = listBackups(environment).map((backup) => backup.name);
    expect(kept).toHaveLength(2);
    expect(kept[0]).toContain("before_20251101_000003");
    expect(kept[1]).toContain("before_20251101_000002");
    expect(readdirSync(backupDir).sort()).toEqual([...kept].sort());
  });
});

describe("restoring a backup damaged on disk since it was taken", async () => {
  const [url, into] = await Promise.all([createTestDatabase("fault-backupsum"), createTestDatabase("fault-backupsum-into")]);
  const backupDir = path.join(scratchFolder(), "backups");
  const dir = migrationsFolder({ "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id int);\n" });

  it("is refused by its recorded SHA-256, with nothing restored", async () => {
    const environment = { ...testEnvironment(url, { backup: true, backupDir }), name: "production" };
    expect((await applyMigrations({ environment, catalog: readCatalog(dir), actor: "cli:tester" })).failed).toBeUndefined();
    const [backup] = listBackups(environment);
    truncateSync(backup!.path, Math.floor(backup!.sizeBytes / 2));

    const config = configFile({ production: { databaseUrl: url, backup: true, backupDir } });
    const run = await rookery(["backup", "restore", backup!.name, "--into", into, "--config", config], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${backup!.name} changed since it was taken`);
    expect(run.stderr).toContain("nothing was restored");
    expect(await query(into, "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).toEqual([{ n: 0 }]);
  });
});
