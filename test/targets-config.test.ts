import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { scratchFolder } from "./support/cli.ts";
import { loadConfig, selectEnvironment } from "../src/config/index.ts";
import { UsageError } from "../src/errors.ts";
import { resolveTargets } from "../src/targets/index.ts";

function load(yaml: string) {
  const cwd = scratchFolder();
  writeFileSync(path.join(cwd, "rookery.config.yml"), yaml);
  return { cwd, config: () => loadConfig({ env: { OLTP_URL: "postgres://db/oltp" }, cwd }) };
}

function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error("expected a usage error");
}

describe("targets in the config", () => {
  it("an environment without targets is one target: its databaseUrl and the migrations folder", () => {
    const { cwd, config } = load("environments:\n  production: { databaseUrl: postgres://db/app }\n");
    const loaded = config();
    const targets = resolveTargets(loaded, selectEnvironment(loaded));
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ kind: "database", name: "production", implicit: true, dir: path.join(cwd, "migrations") });
    expect(targets[0]!.environment.databaseUrl).toBe("postgres://db/app");
    expect(selectEnvironment(loaded).targets).toBeUndefined();
  });

  it("targets come in targetOrder with their folders; databaseUrl defaults to the first single database", () => {
    const { cwd, config } = load(`
environments:
  production:
    lockTimeout: 1s
    targets:
      tenants: { dir: migrations/tenant, fleet: { databases: [{ name: acme, databaseUrl: "postgres://db/acme" }], waveSize: 5 } }
      content: { databaseUrl: "postgres://db/content", dir: migrations/content }
      oltp: { databaseUrl: "\${OLTP_URL}", dir: migrations/oltp }
    targetOrder: [oltp, content, tenants]
`);
    const loaded = config();
    const production = selectEnvironment(loaded);
    expect(production.databaseUrl).toBe("postgres://db/oltp");
    const targets = resolveTargets(loaded, production);
    expect(targets.map((target) => `${target.kind}:${target.name}`)).toEqual(["database:oltp", "database:content", "fleet:tenants"]);
    expect(targets[0]!.dir).toBe(path.join(cwd, "migrations/oltp"));
    expect(targets[0]!.environment.lockTimeout).toBe(1000);
    expect(targets[2]).toMatchObject({ kind: "fleet", fleet: { canary: 1, waveSize: 5, maxParallel: 4, maxFailurePercent: 0 } });
    expect(resolveTargets(loaded, production, "content").map((target) => target.name)).toEqual(["content"]);
    expect(usageError(() => resolveTargets(loaded, production, "analytics")).hint).toContain("oltp, content, tenants");
  });

  it("every mistake is named by its key at once", () => {
    const { config } = load(`
environments:
  production:
    targets:
      oltp: { databaseUrl: "postgres://db/oltp", fleet: { databases: [{ name: a, databaseUrl: "postgres://db/a" }] } }
      tenants:
        fleet:
          databases: [{ name: a, databaseUrl: "not a url" }, { name: a, databaseUrl: "postgres://db/a" }]
          registry: { databaseUrl: "postgres://db/registry", query: "SELECT name, url FROM t" }
          waveSize: 0
    targetOrder: [oltp, analytics]
`);
    const error = usageError(config);
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/targets\.oltp: a target has either databaseUrl \(one database\) or fleet \(many\)/);
    expect(error.message).toMatch(/targets\.tenants\.fleet\.databases\.0\.databaseUrl: a postgres:\/\/user@host:port\/database connection URL/);
    expect(error.message).toMatch(/targets\.tenants\.fleet\.waveSize/);
  });

  it("targetOrder must name each target once; an all-fleet environment needs its own databaseUrl", () => {
    const order = usageError(
      load(`
environments:
  production:
    targets:
      oltp: { databaseUrl: "postgres://db/oltp" }
      content: { databaseUrl: "postgres://db/content" }
    targetOrder: [oltp, analytics, oltp]
`).config,
    );
    expect(order.message).toContain("environments.production.targetOrder: names no target analytics; leaves out content; names oltp twice (targets: oltp, content)");

    const fleetsOnly = usageError(
      load(`
environments:
  production:
    targets:
      tenants: { fleet: { registry: { databaseUrl: "postgres://db/registry", query: "SELECT name, url FROM t" } } }
`).config,
    );
    expect(fleetsOnly.message).toContain("environments.production.databaseUrl: every target is a fleet, so give databaseUrl");
  });
});
