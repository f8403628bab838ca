import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { CliIO } from "../src/cli/command.ts";
import { main } from "../src/cli/main.ts";
import { createTestDatabase, query } from "./support/services.ts";

let env: NodeJS.ProcessEnv;
let stagingUrl: string;
let productionUrl: string;

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

beforeAll(async () => {
  stagingUrl = await createTestDatabase("rhcli_staging");
  productionUrl = await createTestDatabase("rhcli_production");
  const dir = mkdtempSync(path.join(tmpdir(), "rookery-rehearse-cli-"));
  mkdirSync(path.join(dir, "2025_11_01"));
  writeFileSync(path.join(dir, "2025_11_01", "001_create_events.sql"), "CREATE TABLE events (id bigint PRIMARY KEY, body text);\n");
  writeFileSync(path.join(dir, "2025_11_01", "rollback_001_create_events.sql"), "DROP TABLE IF EXISTS events;\n");
  const configFile = path.join(dir, "rookery.config.yml");
  writeFileSync(configFile, `environments:\n  staging:\n    databaseUrl: ${stagingUrl}\n  production:\n    databaseUrl: ${productionUrl}\n`);
  env = { ROOKERY_CONFIG: configFile, MIGRATIONS_DIR: dir, CONTROL_DATABASE_URL: stagingUrl, ROOKERY_ACTOR: "cli:tester" };
});

describe("rookery rehearse", () => {
  it("rehearses on staging with custom probe queries and prints the report as JSON, leaving the version rolled back", async () => {
    const io = capture();
    const code = await main(["rehearse", "20251101_000001", "--env", "staging", "--clients", "2", "--seconds", "0.5", "--query", "SELECT 1", "--json"], io);
    expect(io.err).not.toContain("rookery:");
    expect(code).toBe(0);
    const report = JSON.parse(io.out);
    expect(report).toMatchObject({ ok: true, environment: "staging", version: "20251101_000001", clients: 2, probes: ["SELECT 1"], probeSource: "custom queries", rolledBack: true, apply: { ok: true } });
    for (const phase of [report.baseline, report.during]) {
      expect(Object.keys(phase).sort()).toEqual(["errorSamples", "errors", "maxMs", "p50Ms", "p95Ms", "p99Ms", "queries", "seconds", "slowQueries", "throughput"]);
      expect(phase.queries).toBeGreaterThan(0);
    }
    expect(await query(stagingUrl, "SELECT to_regclass('public.events') AS t")).toEqual([{ t: null }]);
    expect(await query(stagingUrl, "SELECT status, applied_by FROM schema_migrations")).toEqual([{ status: "rolled_back", applied_by: "cli:tester" }]);
  });

  it("is refused on production: exit 1, nothing applied", async () => {
    const io = capture();
    expect(await main(["rehearse", "20251101_000001", "--env", "production"], io)).toBe(1);
    expect(io.err).toContain("rehearsal is refused on production");
    expect(await query(productionUrl, "SELECT to_regclass('public.events') AS t")).toEqual([{ t: null }]);
  });

  it("bad options are usage errors naming the option", async () => {
    const io = capture();
    expect(await main(["rehearse", "20251101_000001", "--env", "staging", "--clients", "0"], io)).toBe(2);
    expect(io.err).toContain("--clients");
  });
});
