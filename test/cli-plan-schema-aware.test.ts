import { beforeAll, describe, expect, it } from "vitest";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { createTestDatabase } from "./support/services.ts";
import { TYPE_CHANGE_HISTORY } from "./support/type-change-history.ts";

type Findings = { error: number; warning: number } | null;

/** plan and status count findings as `rookery lint` does: a type change without a rewrite on a column an applied migration made is no error. */
describe("plan and status lint knowing the schema", () => {
  let env: Record<string, string>;
  beforeAll(async () => {
    const url = await createTestDatabase("cliplanschema");
    const dir = migrationsFolder(TYPE_CHANGE_HISTORY);
    env = { DATABASE_URL: url, MIGRATIONS_DIR: dir };
    const apply = await rookery(["apply", "20251101_000001"], env);
    expect(apply.code, apply.stderr).toBe(0);
  });

  it("plan --json: 0 errors for widening varchar(50) to varchar(200), an error for int -> text", async () => {
    const run = await rookery(["plan", "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    const steps = JSON.parse(run.stdout).steps as { version: string; findings: Findings }[];
    expect(steps.map((step) => [step.version, step.findings?.error])).toEqual([
      ["20251101_000002", 0],
      ["20251101_000003", 1],
    ]);
  });

  it("status --json counts the same, and lint agrees", async () => {
    const status = await rookery(["status", "--json"], env);
    const migrations = JSON.parse(status.stdout).migrations as { version: string; findings: Findings }[];
    expect(migrations.map((migration) => [migration.version, migration.findings?.error ?? null])).toEqual([
      ["20251101_000001", null],
      ["20251101_000002", 0],
      ["20251101_000003", 1],
    ]);
    const lint = await rookery(["lint", "--json"], env);
    expect(JSON.parse(lint.stdout).errors).toBe(1);
  });
});
