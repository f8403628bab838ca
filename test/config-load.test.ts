import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { scratchFolder } from "./support/cli.ts";
import { loadConfig, selectEnvironment } from "../src/config/index.ts";
import { UsageError } from "../src/errors.ts";

function configFile(yaml: string): { cwd: string; file: string } {
  const cwd = scratchFolder();
  const file = path.join(cwd, "rookery.config.yml");
  writeFileSync(file, yaml);
  return { cwd, file };
}

function loadError(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error("expected a usage error");
}

describe("config", () => {
  it("with only DATABASE_URL there is one environment, development, with production-safe timeouts", () => {
    const cwd = scratchFolder();
    const config = loadConfig({ env: { DATABASE_URL: "postgres://app:secret@db.example:5432/app" }, cwd });
    expect(Object.keys(config.environments)).toEqual(["development"]);
    const development = selectEnvironment(config);
    expect(development.databaseUrl).toBe("postgres://app:secret@db.example:5432/app");
    expect(development.lockTimeout).toBe(500);
    expect(development.lockRetries).toBe(10);
    expect(development.approvals).toBe(0);
    expect(config.migrationsDir).toBe(path.join(cwd, "migrations"));
  });

  it("reads the environments file found in the working folder, expanding ${VAR} and durations", () => {
    const { cwd } = configFile(`
environments:
  staging:
    databaseUrl: \${STAGING_URL}
    lockTimeout: 1500ms
    statementTimeout: 10min
    approvals: 1
    approvers: [U0APPROVER1, S0DBATEAM]
  production:
    databaseUrl: \${PROD_URL:-postgres://localhost/prod}
`);
    const config = loadConfig({ env: { STAGING_URL: "postgres://localhost/staging" }, cwd });
    const staging = selectEnvironment(config, "staging");
    expect(staging.databaseUrl).toBe("postgres://localhost/staging");
    expect(staging.lockTimeout).toBe(1500);
    expect(staging.statementTimeout).toBe(600_000);
    expect(staging.approvers).toEqual(["U0APPROVER1", "S0DBATEAM"]);
    expect(selectEnvironment(config, "production").databaseUrl).toBe("postgres://localhost/prod");
  });

  it("reads a number or boolean key written as ${VAR:-default} as a number or boolean", () => {
    const { cwd } = configFile(`
environments:
  production:
    databaseUrl: postgres://localhost/prod
    minSoakHours: \${SOAK:-0}
    approvals: \${APPROVALS}
    backup: \${BACKUP:-false}
    alertChannel: \${CHANNEL:-12345}
`);
    const production = selectEnvironment(loadConfig({ env: { APPROVALS: "2", BACKUP: "true" }, cwd }), "production");
    expect(production).toMatchObject({ minSoakHours: 0, approvals: 2, backup: true, alertChannel: "12345" });
    const error = loadError(() => loadConfig({ env: { APPROVALS: "two" }, cwd }));
    expect(error.message).toMatch(/environments\.production\.approvals: .*number/);
  });

  it("an invalid file lists every bad key at once and is a usage error (exit 2)", () => {
    const { cwd } = configFile(`
environments:
  production:
    databaseUrl: postgres://localhost/prod
    lockTimeout: two seconds
    approvals: -1
    approver: [U1]
  staging:
    databaseUrl: \${NOT_SET_ANYWHERE}
`);
    const error = loadError(() => loadConfig({ env: {}, cwd }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain("environments.production.lockTimeout");
    expect(error.message).toContain("environments.production.approvals");
    expect(error.message).toContain("approver");
    expect(error.message).toContain("NOT_SET_ANYWHERE");
  });

  it("a bad environment name or backupKeep says the rule it breaks, not zod's \"Invalid key\" / \"Invalid input\"", () => {
    const { cwd } = configFile(`
environments:
  Production:
    databaseUrl: postgres://localhost/prod
  staging:
    databaseUrl: postgres://localhost/staging
    backupKeep: 3 days
    autoRollback:
      watchMinutes: 5
      checks:
        "no failed jobs": SELECT true
`);
    const error = loadError(() => loadConfig({ env: {}, cwd }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain("environments.Production: lower-case environment names");
    expect(error.message).toContain('environments.staging.backupKeep: a count like 10, or an age like "14d" or "48h"');
    expect(error.message).toContain("environments.staging.autoRollback.checks.no failed jobs: a check name like no_failed_jobs");
    expect(error.message).not.toMatch(/Invalid (key in record|input)/);
  });

  it("an unknown environment names the configured ones; several environments need --env", () => {
    const { cwd } = configFile(`
environments:
  staging: { databaseUrl: postgres://localhost/staging }
  production: { databaseUrl: postgres://localhost/prod }
`);
    const config = loadConfig({ env: {}, cwd });
    const unknown = loadError(() => selectEnvironment(config, "prod"));
    expect(unknown.message).toContain('unknown environment "prod"');
    expect(unknown.hint).toContain("staging, production");
    expect(loadError(() => selectEnvironment(config)).hint).toContain("--env");
  });

  it("ROOKERY_CONFIG naming a missing file is a usage error, not a silent fallback", () => {
    const cwd = scratchFolder();
    const error = loadError(() => loadConfig({ env: { ROOKERY_CONFIG: "nowhere.yml" }, cwd }));
    expect(error.message).toContain("nowhere.yml");
    expect(error.hint).toContain("Set ROOKERY_CONFIG");
    // --config was given: the hint names it, not a variable the user never set.
    const flag = loadError(() => loadConfig({ env: {}, configFile: "typo.yml", cwd }));
    expect(flag.message).toContain("typo.yml");
    expect(flag.hint).toContain("Point --config at an existing YAML file");
  });
});

describe("connection URLs", () => {
  it("a DATABASE_URL or databaseUrl that is not a Postgres URL is refused naming the setting, and the password never appears", () => {
    const cwd = scratchFolder();
    for (const value of ["not a url", "postgres://app:s3cret@db.example:99999/app", "mysql://app:s3cret@db.example/app"]) {
      const error = loadError(() => loadConfig({ env: { DATABASE_URL: value }, cwd }));
      expect(error.message).toContain("DATABASE_URL: not a Postgres connection URL");
      expect(error.message).not.toContain("s3cret");
    }
    const { cwd: withFile } = configFile(`
environments:
  production:
    databaseUrl: "postgres://app:p@ss@db.example:5432:5432/app"
`);
    expect(loadError(() => loadConfig({ env: {}, cwd: withFile })).message).toContain("environments.production.databaseUrl: not a Postgres connection URL");
  });

  it("socket forms node-postgres connects with are accepted", () => {
    const cwd = scratchFolder();
    for (const value of ["postgres:///app?host=/var/run/postgresql", "socket:/var/run/postgresql?db=app", "/var/run/postgresql app"]) {
      expect(selectEnvironment(loadConfig({ env: { DATABASE_URL: value }, cwd })).databaseUrl).toBe(value);
    }
  });
});
