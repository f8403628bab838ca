import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadConfig } from "../src/config/index.ts";
import { startWorker } from "../src/queue/index.ts";
import { createRequest, pinTargets, watchOfRequest } from "../src/requests/index.ts";
import { catalogOf, resolveTargets } from "../src/targets/index.ts";
import { migrationsFolder, rookery, scratchFolder } from "./support/cli.ts";
import { eventsOf, ledgerRows } from "./support/engine.ts";
import { controlPool, quietLogger, recordingNotifier, requestInput, waitForRequest, waitForWatch } from "./support/queue.ts";
import { createTestDatabase, query, redisUrl, testQueuePrefix } from "./support/services.ts";

const OLTP = {
  "2025_11_01/001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n",
  "2025_11_01/rollback_001_accounts.sql": "DROP TABLE accounts;\n",
};

/** The second tenant file checks that no tenant is quarantined; one tenant of the fleet is. */
const TENANT = {
  "2025_11_03/001_leads.sql": "CREATE TABLE leads (id bigint PRIMARY KEY);\n",
  "2025_11_03/rollback_001_leads.sql": "DROP TABLE leads;\n",
  "2025_11_03/002_lead_email.sql":
    "-- rookery:check not_quarantined: SELECT to_regclass('public.quarantine') IS NULL, coalesce(to_regclass('public.quarantine')::text, 'none')\n" +
    "ALTER TABLE leads ADD COLUMN email text;\n",
  "2025_11_03/rollback_002_lead_email.sql": "ALTER TABLE leads DROP COLUMN email;\n",
};

/** production: one database (oltp) and a fleet of three tenants, watched for three seconds after an apply. */
async function fleetWithOneQuarantined(label: string) {
  const [oltp, a, b, c] = await Promise.all(["oltp", "a", "b", "c"].map((name) => createTestDatabase(`${label}${name}`)));
  await query(b!, "CREATE TABLE quarantine (id int)");
  const production = {
    autoRollback: { watchMinutes: 0.05, interval: "200ms" },
    targets: {
      oltp: { databaseUrl: oltp, dir: migrationsFolder(OLTP) },
      tenants: { dir: migrationsFolder(TENANT), fleet: { databases: [{ name: "a", databaseUrl: a }, { name: "b", databaseUrl: b }, { name: "c", databaseUrl: c }], canary: 1, waveSize: 2, maxParallel: 2 } },
    },
    targetOrder: ["oltp", "tenants"],
  };
  return { oltp: oltp!, tenants: { a: a!, b: b!, c: c! }, production };
}

const statuses = async (url: string) => (await ledgerRows(url)).map((row) => `${row.version} ${row.status}`);

describe("the watch after an apply across targets (autoRollback)", () => {
  it("rookery apply --all --watch checks every database; a check failing on one tenant rolls back that fleet's databases, the other target keeps its change", async () => {
    const { oltp, tenants, production } = await fleetWithOneQuarantined("tarwcli");
    const cwd = scratchFolder();
    const file = path.join(cwd, "rookery.config.yml");
    writeFileSync(file, stringify({ environments: { production } }));
    const run = await rookery(["apply", "--all", "--watch", "--env", "production", "--config", file], {});

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/watching production for 3s, every 200ms: .*20251103_000002\/not_quarantined.* on 4 databases \(oltp, tenants\/a, tenants\/b, tenants\/c\)/);
    expect(run.stderr).toContain("round 1: tenants/b: 20251103_000002/not_quarantined = quarantine");
    expect(run.stdout).toContain(
      "rolled back automatically (20251103_000002, 20251103_000001) on 3 databases (tenants/a, tenants/b, tenants/c): tenants/b: 20251103_000002/not_quarantined = quarantine",
    );
    for (const url of Object.values(tenants)) expect(await statuses(url)).toEqual(["20251103_000001 rolled_back", "20251103_000002 rolled_back"]);
    expect(await statuses(oltp)).toEqual(["20251101_000001 applied"]);
    const [event] = (await eventsOf(tenants.a, "20251103_000002")).filter((entry) => entry.event === "auto_rolled_back");
    expect(event!.detail).toMatchObject({ check: "20251103_000002/not_quarantined", source: "file", status: "fail", value: "quarantine" });
    expect(event!.reason).toBe("automatic rollback: tenants/b: 20251103_000002/not_quarantined = quarantine");
  });

  it("on the queue the request's watch names every database, rolls back the failing target's databases, and says which", async () => {
    const { oltp, tenants, production } = await fleetWithOneQuarantined("tarwq");
    const controlUrl = await createTestDatabase("tarwqctl");
    const pool = await controlPool(controlUrl);
    const cwd = scratchFolder();
    const file = path.join(cwd, "rookery.config.yml");
    writeFileSync(file, stringify({ environments: { production } }));
    const config = loadConfig({ env: { CONTROL_DATABASE_URL: controlUrl, REDIS_URL: redisUrl(), QUEUE_PREFIX: testQueuePrefix("tarwq"), LOG_LEVEL: "silent" }, cwd, configFile: file, migrationsDir: cwd });
    const notifier = recordingNotifier();
    const worker = await startWorker(config, { notifier, logger: quietLogger(), concurrency: 2, reconcileEverySeconds: 0 });
    try {
      const targets = resolveTargets(config, config.environments.production!);
      const { versions, checksums } = pinTargets(targets.map((target) => ({ target: target.name, migrations: catalogOf(target).migrations })));
      const request = await createRequest(pool, requestInput({ versions, checksums, approvalsRequired: 0 }));
      await worker.reconcile();
      expect((await waitForRequest(pool, request.id, ["failed", "succeeded"], 60_000)).status).toBe("succeeded");
      const watch = await waitForWatch(() => watchOfRequest(pool, request.id), (found) => found.status !== "watching" && found.status !== "rolling_back", "the watch to end");

      expect(watch.status).toBe("rolled_back");
      expect(watch.plan.databases!.map((database) => `${database.target}/${database.database}: ${database.versions.join(", ")}`)).toEqual([
        "oltp/oltp: 20251101_000001",
        "tenants/a: 20251103_000001, 20251103_000002",
        "tenants/b: 20251103_000001, 20251103_000002",
        "tenants/c: 20251103_000001, 20251103_000002",
      ]);
      expect(watch.failing).toMatchObject({ target: "tenants", database: "b", name: "20251103_000002/not_quarantined", status: "fail" });
      const [stored] = await query<{ databases: unknown[] }>(controlUrl, "SELECT databases FROM rookery_control.watches WHERE request_id = $1", [request.id]);
      expect(stored!.databases).toHaveLength(4);
      expect(watch.outcome).toMatchObject({
        status: "rolled_back",
        databases: ["a", "b", "c"].map((database) => ({ target: "tenants", database, status: "rolled_back", rolledBack: ["20251103_000002", "20251103_000001"] })),
      });
      for (const url of Object.values(tenants)) expect(await statuses(url)).toEqual(["20251103_000001 rolled_back", "20251103_000002 rolled_back"]);
      expect(await statuses(oltp)).toEqual(["20251101_000001 applied"]);
      const finished = notifier.events.watch.find((entry) => entry.news.kind === "finished");
      expect(finished).toBeDefined();
      expect(notifier.events.alerts.map((alert) => alert.message)).toContainEqual(expect.stringContaining("rolled back automatically (20251103_000002, 20251103_000001) on 3 databases (tenants/a, tenants/b, tenants/c): tenants/b: 20251103_000002/not_quarantined = quarantine"));
    } finally {
      await worker.close();
    }
  });
});
