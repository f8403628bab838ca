import { afterAll, describe, expect, it } from "vitest";
import { freezeEnvironment, unfreezeEnvironment } from "../src/policy/freeze.ts";
import { startWorker } from "../src/queue/index.ts";
import { createRequest, listTargetRuns, pinTargets } from "../src/requests/index.ts";
import { catalogOf, resolveTargets } from "../src/targets/index.ts";
import { appliedVersions } from "./support/engine.ts";
import { migrationsFolder } from "./support/cli.ts";
import { controlPool, queueTestConfig, quietLogger, recordingNotifier, requestInput, waitForRequest } from "./support/queue.ts";
import { createTestDatabase, testQueuePrefix } from "./support/services.ts";

describe("a freeze that starts after approval stops a request across targets too", async () => {
  const [oltp, acme, controlUrl] = await Promise.all([createTestDatabase("tfoltp"), createTestDatabase("tfacme"), createTestDatabase("tfcontrol")]);
  const config = queueTestConfig({
    databaseUrl: oltp,
    controlUrl,
    migrationsDir: migrationsFolder({}),
    queuePrefix: testQueuePrefix("tfrz"),
    environment: {
      targets: {
        oltp: { databaseUrl: oltp, dir: migrationsFolder({ "2025_11_01/001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n" }) },
        tenants: { dir: migrationsFolder({ "2025_11_03/001_leads.sql": "CREATE TABLE leads (id bigint PRIMARY KEY);\n" }), fleet: { databases: [{ name: "acme", databaseUrl: acme }] } },
      },
      targetOrder: ["oltp", "tenants"],
    },
  });
  const pool = await controlPool(controlUrl);
  const worker = await startWorker(config, { notifier: recordingNotifier(), logger: quietLogger(), reconcileEverySeconds: 0 });
  afterAll(() => worker.close());

  it("fails the approved request saying who froze production, with no database run", async () => {
    await freezeEnvironment(pool, { environment: "production", reason: "quarter-end close", by: "UDBA" });
    const targets = resolveTargets(config, config.environments.production!);
    const request = await createRequest(pool, requestInput({ ...pinTargets(targets.map((target) => ({ target: target.name, migrations: catalogOf(target).migrations }))), approvalsRequired: 0 }));
    await worker.reconcile();
    const refused = await waitForRequest(pool, request.id, ["succeeded", "failed"]);
    expect(refused.status).toBe("failed");
    expect(refused.error).toMatch(/not run: .*frozen by UDBA.*quarter-end close/);
    expect(await listTargetRuns(pool, request.id)).toEqual([]);
    expect(await appliedVersions(oltp)).toEqual([]);
    expect(await appliedVersions(acme)).toEqual([]);
    await unfreezeEnvironment(pool, { environment: "production", by: "UDBA" });
  });
});
