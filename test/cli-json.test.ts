import { beforeAll, describe, expect, it } from "vitest";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { createTestDatabase } from "./support/services.ts";

/** The --json shapes documented in docs/commands.md "JSON output": these keys are a contract with CI pipelines. */
describe("--json output", () => {
  let env: Record<string, string>;
  beforeAll(async () => {
    const url = await createTestDatabase("clijson");
    const dir = migrationsFolder({
      "2025_11_01/001_create_a.sql": "CREATE TABLE a (id int);\n",
      "2025_11_01/rollback_001_create_a.sql": "DROP TABLE IF EXISTS a;\n",
      "2025_11_01/002_create_b.sql": "CREATE TABLE b (id int);\n",
      "2025_11_01/003_index_b.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS b_id ON b (id);\n",
    });
    env = { DATABASE_URL: url, MIGRATIONS_DIR: dir };
  });

  async function json(args: string[], expectedCode = 0) {
    const run = await rookery([...args, "--json"], env);
    expect(run.code, run.stderr).toBe(expectedCode);
    return JSON.parse(run.stdout);
  }

  it("plan", async () => {
    const body = await json(["plan"]);
    expect(Object.keys(body).sort()).toEqual(["environment", "ok", "steps"]);
    expect(body.steps.map((step: { version: string }) => step.version)).toEqual(["20251101_000001", "20251101_000002", "20251101_000003"]);
    expect(body.steps[0]).toMatchObject({ version: "20251101_000001", path: "2025_11_01/001_create_a.sql", hasRollback: true, outsideTransaction: false, reapply: false });
    expect(body.steps[2]).toMatchObject({ hasRollback: false, outsideTransaction: true });
    expect(body.steps[0]).toMatchObject({ type: "DDL Add", findings: { error: expect.any(Number), warning: expect.any(Number) } });
  });

  it("apply", async () => {
    const body = await json(["apply", "--all"]);
    expect(body).toMatchObject({ ok: true, environment: "development", skipped: [], failed: null });
    expect(body.applied).toHaveLength(3);
    expect(Object.keys(body.applied[0]).sort()).toEqual(["checksum", "description", "durationMs", "lockRetries", "outsideTransaction", "version"]);
    expect(body.applied[2]).toMatchObject({ version: "20251101_000003", outsideTransaction: true });
  });

  it("status", async () => {
    const body = await json(["status"]);
    expect(body).toMatchObject({
      ok: true,
      environment: "development",
      currentVersion: "20251101_000003",
      counts: { applied: 3, pending: 0, failed: 0, rolledBack: 0, drift: 0 },
    });
    expect(body.migrations[0]).toMatchObject({ version: "20251101_000001", state: "applied", drift: false, missingFile: false, hasRollback: true });
    // Applied and unchanged: not parsed again, so no analysis (plan, before applying, carries it).
    expect(body.migrations[0]).toMatchObject({ type: null, typeInfo: null, findings: null, syntaxError: null });
  });

  it("rollback, then history", async () => {
    const rollback = await json(["rollback", "20251101_000001", "--reason", "json check"]);
    expect(rollback).toMatchObject({ ok: true, environment: "development", version: "20251101_000001", reason: "json check", safety: "RECENT_MIGRATION_CAUTION" });
    expect(typeof rollback.durationMs).toBe("number");

    const history = await json(["history", "--limit", "10"]);
    expect(Object.keys(history).sort()).toEqual(["environment", "events", "ok"]);
    expect(history.events[0]).toMatchObject({ version: "20251101_000001", event: "rolled_back", actor: "cli:tester", reason: "json check" });
    expect(Object.keys(history.events[0]).sort()).toEqual(["actor", "at", "detail", "event", "reason", "version"]);
  });

  it("verify", async () => {
    const body = await json(["verify"]);
    expect(body).toMatchObject({ ok: true, environment: "development" });
    for (const check of body.checks) expect(Object.keys(check).sort()).toEqual(["details", "name", "status"]);
  });

  it("health", async () => {
    const body = await json(["health"]);
    expect(Object.keys(body).sort()).toEqual(["alerts", "environment", "migrations", "ok"]);
    expect(body.alerts).toEqual([expect.objectContaining({ version: "20251101_000001", alertLevel: "WARNING", healthStatus: "ROLLED_BACK" })]);
    expect(body.migrations).toHaveLength(3);
  });
});
