import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activeFreeze, freezeEnvironment, unfreezeEnvironment } from "../src/policy/freeze.ts";
import { createTestDatabase, query } from "./support/services.ts";

let controlUrl: string;
let pool: pg.Pool;

beforeAll(async () => {
  controlUrl = await createTestDatabase("freeze");
  pool = new pg.Pool({ connectionString: controlUrl, max: 4 });
  pool.on("error", () => {});
});

afterAll(async () => {
  await pool.end();
});

describe("freezes", () => {
  it("freeze, refuse a second freeze naming the first, unfreeze, and keep the history", async () => {
    const frozen = await freezeEnvironment(pool, { environment: "production", reason: "quarter close; don't 'touch'", by: "UALICE" });
    expect(frozen).toMatchObject({ environment: "production", frozenBy: "UALICE", reason: "quarter close; don't 'touch'" });
    expect(await activeFreeze(pool, "production")).toMatchObject({ frozenBy: "UALICE" });
    expect(await activeFreeze(pool, "staging")).toBeUndefined();

    await expect(freezeEnvironment(pool, { environment: "production", reason: "again", by: "UBOB" })).rejects.toThrow(
      /already frozen: production is frozen by UALICE since .* UTC: quarter close; don't 'touch'/,
    );

    const lifted = await unfreezeEnvironment(pool, { environment: "production", by: "UBOB" });
    expect(lifted.frozenBy).toBe("UALICE");
    expect(await activeFreeze(pool, "production")).toBeUndefined();
    await expect(unfreezeEnvironment(pool, { environment: "production", by: "UBOB" })).rejects.toThrow("production is not frozen");

    const rows = await query(controlUrl, "SELECT frozen_by, lifted_by, reason FROM rookery_control.deployment_freezes");
    expect(rows).toEqual([{ frozen_by: "UALICE", lifted_by: "UBOB", reason: "quarter close; don't 'touch'" }]);
  });

  it("a freeze needs a reason", async () => {
    await expect(freezeEnvironment(pool, { environment: "staging", reason: "  ", by: "UALICE" })).rejects.toThrow(
      "a freeze of staging needs a reason",
    );
    expect(await activeFreeze(pool, "staging")).toBeUndefined();
  });

  it("two processes freezing at once: exactly one freeze is active", async () => {
    const results = await Promise.allSettled(
      ["UA1", "UA2", "UA3", "UA4"].map((by) => freezeEnvironment(pool, { environment: "qa", reason: `by ${by}`, by })),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const active = await query(controlUrl, "SELECT count(*)::int AS n FROM rookery_control.deployment_freezes WHERE environment = 'qa' AND lifted_at IS NULL");
    expect(active[0]!.n).toBe(1);
  });
});
