import { beforeAll, describe, expect, it } from "vitest";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { createTestDatabase, query } from "./support/services.ts";

const REASON = `it's "broken"; DROP TABLE keepers; -- $1 \\' $$ ); SELECT pg_sleep(10); --`;

describe("rookery rollback", () => {
  let url: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    url = await createTestDatabase("clirollback");
    const dir = migrationsFolder({
      "2025_11_01/001_create_keepers.sql": "CREATE TABLE keepers (id int);\n",
      "2025_11_01/002_create_widgets.sql": "CREATE TABLE widgets (id int);\n",
      "2025_11_01/rollback_002_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
    });
    env = { DATABASE_URL: url, MIGRATIONS_DIR: dir };
    expect((await rookery(["apply", "--all"], env)).code).toBe(0);
  });

  it("runs the stored script, shows the safety check and records a reason full of quotes and SQL verbatim", async () => {
    const run = await rookery(["rollback", "20251101_000002", "--reason", REASON], env);

    expect(run.stderr).not.toMatch(/^rookery:/m);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/safety check: 20251101_000002 .*RECENT_MIGRATION_CAUTION/);
    expect(run.stdout).toMatch(/20251101_000002\s+rolled_back/);

    const present = await query(url, "SELECT to_regclass('widgets') AS widgets, to_regclass('keepers') AS keepers");
    expect(present[0]).toEqual({ widgets: null, keepers: "keepers" });
    const ledger = await query(url, "SELECT status FROM schema_migrations WHERE version = '20251101_000002'");
    expect(ledger).toEqual([{ status: "rolled_back" }]);

    const history = JSON.parse((await rookery(["history", "--version", "20251101_000002", "--json"], env)).stdout);
    const rolledBack = history.events.find((event: { event: string }) => event.event === "rolled_back");
    expect(rolledBack).toMatchObject({ version: "20251101_000002", actor: "cli:tester", reason: REASON });
  });

  it("re-applies the rolled back version", async () => {
    const run = await rookery(["apply", "20251101_000002"], env);
    expect(run.code).toBe(0);
    const present = await query(url, "SELECT to_regclass('widgets') AS widgets");
    expect(present[0]).toEqual({ widgets: "widgets" });
  });

  it("refuses a version without a stored rollback script, changing nothing", async () => {
    const run = await rookery(["rollback", "20251101_000001", "--reason", "try"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("20251101_000001");
    const ledger = await query(url, "SELECT status FROM schema_migrations WHERE version = '20251101_000001'");
    expect(ledger).toEqual([{ status: "applied" }]);
  });
});
