import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { scratchFolder } from "./support/cli.ts";
import { CatalogError, readCatalog } from "../src/catalog/index.ts";
import { loadConfig } from "../src/config/index.ts";
import { UsageError } from "../src/errors.ts";

function folder(files: Record<string, string>): string {
  const dir = scratchFolder();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function load(yaml: string) {
  const cwd = folder({ "rookery.config.yml": yaml });
  return loadConfig({ env: {}, cwd });
}

function loadProblem(yaml: string): string {
  try {
    load(yaml);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a usage error");
}

describe("autoRollback and drills in the config", () => {
  it("is off unless configured; when configured, durations and defaults are filled in", () => {
    const config = load(`
environments:
  staging: { databaseUrl: "postgres://127.0.0.1/s" }
  production:
    databaseUrl: "postgres://127.0.0.1/p"
    autoRollback:
      watchMinutes: 15
      interval: 20s
      checks:
        no_failed_jobs: "SELECT count(*) = 0 FROM failed_jobs"
drills: { every: 7d, environment: staging }
`);
    expect(config.environments.staging!.autoRollback).toBeUndefined();
    expect(config.environments.production!.autoRollback).toEqual({
      watchMinutes: 15,
      interval: 20_000,
      checks: { no_failed_jobs: "SELECT count(*) = 0 FROM failed_jobs" },
      checkTimeout: 5000,
      onCheckError: "rollback",
    });
    expect(config.drills).toEqual([{ every: { everyMs: 7 * 86_400_000 }, environment: "staging", maxMinutes: 30 }]);
  });

  it("takes a cron expression for drills, and a list of them", () => {
    const config = load(`
environments:
  staging: { databaseUrl: "postgres://127.0.0.1/s" }
drills:
  - { every: "0 3 * * 1", environment: staging, maxMinutes: 10 }
`);
    expect(config.drills).toEqual([{ every: { pattern: "0 3 * * 1" }, environment: "staging", maxMinutes: 10 }]);
  });

  it("names every bad key at once", () => {
    const message = loadProblem(`
environments:
  production:
    databaseUrl: "postgres://127.0.0.1/p"
    autoRollback: { watchMinutes: 0, interval: soon, checks: { "bad name": "SELECT true" }, onCheckError: ignore }
drills: { every: "every tuesday", environment: production }
`);
    expect(message).toContain("environments.production.autoRollback.watchMinutes");
    expect(message).toContain("environments.production.autoRollback.interval");
    expect(message).toContain("environments.production.autoRollback.checks.bad name");
    expect(message).toContain("environments.production.autoRollback.onCheckError");
    expect(message).toMatch(/drills\.0\.every: a period like "7d" or a cron expression/);
  });

  it("a drill names one of the environments", () => {
    const message = loadProblem(`
environments:
  production: { databaseUrl: "postgres://127.0.0.1/p" }
drills: { every: 1d, environment: prod }
`);
    expect(message).toMatch(/drills\.0\.environment: "prod" is not one of the environments \(production\)/);
  });
});

describe("-- rookery:check lines", () => {
  it("are read from the migration file, in order, with their line", () => {
    const dir = folder({
      "2025_11_01/001_add_note.sql": [
        "-- rookery:check notes_filled: SELECT count(*) = 0 FROM orders WHERE note IS NULL;",
        "ALTER TABLE orders ADD COLUMN note text;",
        "-- rookery:check p95-fast: SELECT percentile_disc(0.95) WITHIN GROUP (ORDER BY ms) < 50, percentile_disc(0.95) WITHIN GROUP (ORDER BY ms) FROM probes",
      ].join("\n"),
      "2025_11_01/rollback_001_add_note.sql": "-- rookery:check ignored: SELECT false\nALTER TABLE orders DROP COLUMN note;\n",
    });
    const [migration] = readCatalog(dir).migrations;
    expect(migration!.checks).toEqual([
      { name: "notes_filled", sql: "SELECT count(*) = 0 FROM orders WHERE note IS NULL", line: 1 },
      {
        name: "p95-fast",
        sql: "SELECT percentile_disc(0.95) WITHIN GROUP (ORDER BY ms) < 50, percentile_disc(0.95) WITHIN GROUP (ORDER BY ms) FROM probes",
        line: 3,
      },
    ]);
  });

  it("a malformed or repeated check is a problem of its file, by line", () => {
    const dir = folder({
      "2025_11_01/001_a.sql": "-- rookery:check missing_sql:\nSELECT 1;\n-- rookery:check ok: SELECT true\n-- rookery:check ok: SELECT true\n",
      "2025_11_01/002_b.sql": "-- rookery:check 9lives: SELECT true\nSELECT 1;\n",
    });
    let problems: string[] = [];
    try {
      readCatalog(dir);
    } catch (error) {
      expect(error).toBeInstanceOf(CatalogError);
      problems = (error as CatalogError).problems;
    }
    expect(problems).toEqual([
      '2025_11_01/001_a.sql:1: a check is written "-- rookery:check NAME: SQL returning one boolean"',
      '2025_11_01/001_a.sql:4: check "ok" is defined twice in this file',
      '2025_11_01/002_b.sql:1: check name "9lives" must start with a letter and hold only letters, digits, "_", "-" or "."',
    ]);
  });
});
