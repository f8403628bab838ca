import { beforeAll, describe, expect, it } from "vitest";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { createTestDatabase } from "./support/services.ts";

/** plan and status say what kind of change each migration is, and point at a syntax error before anything runs. */
describe("plan and status show the analysis", () => {
  let env: Record<string, string>;
  beforeAll(async () => {
    const url = await createTestDatabase("cliplananalysis");
    const dir = migrationsFolder({
      "2025_11_01/001_create_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, note text);\n",
      "2025_11_01/rollback_001_create_orders.sql": "DROP TABLE IF EXISTS orders;\n",
      "2025_11_01/002_drop_note.sql": "ALTER TABLE orders DROP COLUMN note;\n",
      "2025_11_01/003_typo.sql": "-- a typo on line 3\n\nCREATE TABLE audit (id bigint PRIMARY KEY,, at timestamptz);\n",
    });
    env = { DATABASE_URL: url, MIGRATIONS_DIR: dir };
  });

  it("plan --json carries each migration's type with the document's downtime, strategy and rollback complexity", async () => {
    const run = await rookery(["plan", "--json"], env);
    // The broken file makes the plan impossible to carry out: exit 1, ok false, every step still listed.
    expect(run.code, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout).ok).toBe(false);
    const steps = JSON.parse(run.stdout).steps as { version: string; type: string; typeInfo: Record<string, string>; syntaxError: unknown }[];
    expect(steps.map((step) => [step.version, step.type])).toEqual([
      ["20251101_000001", "DDL Add"],
      ["20251101_000002", "DDL Delete"],
      ["20251101_000003", "DDL Delete"],
    ]);
    expect(steps[0]!.typeInfo).toMatchObject({ downtime: "Minimal", strategy: "Deploy-first approach", rollbackComplexity: "Simple" });
    expect(steps[1]!.typeInfo).toMatchObject({ downtime: "High", strategy: "Deprecation-first approach", rollbackComplexity: "High Risk" });
    expect(steps[0]!.syntaxError).toBeNull();
    expect(steps[2]!.syntaxError).toMatchObject({ file: "2025_11_01/003_typo.sql", line: 3, column: 43 });
  });

  it("plan names the syntax error by file, line and column, and explains the types", async () => {
    const run = await rookery(["plan"], env);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/2025_11_01\/003_typo\.sql:3:43: syntax error at or near ","/);
    expect(run.stdout).toContain("DDL Add: downtime Minimal, Deploy-first approach, rollback complexity Simple");
  });

  it("status shows the same, and apply refuses the broken file before running anything", async () => {
    const status = await rookery(["status", "--json"], env);
    const migrations = JSON.parse(status.stdout).migrations as { version: string; typeInfo: { downtime: string } | null; syntaxError: { line: number } | null }[];
    expect(migrations.find((migration) => migration.version === "20251101_000002")?.typeInfo?.downtime).toBe("High");
    expect(migrations.find((migration) => migration.version === "20251101_000003")?.syntaxError?.line).toBe(3);

    const apply = await rookery(["apply", "--all"], env);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/003_typo\.sql:3:43/);
    const after = await rookery(["status", "--json"], env);
    expect(JSON.parse(after.stdout).counts.applied).toBe(0);
  });
});
