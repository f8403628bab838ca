import { describe, expect, it } from "vitest";
import { readCatalog } from "../../src/catalog/index.ts";
import { proveRollback } from "../../src/runner/prove.ts";
import { migrationsFolder } from "../support/cli.ts";
import { testEnvironment } from "../support/engine.ts";
import { createTestDatabase, query } from "../support/services.ts";

describe("prove on an expand-contract file", async () => {
  const url = await createTestDatabase("exp-prove");
  await query(url, "CREATE TABLE shipments (id bigint PRIMARY KEY, weight integer NOT NULL DEFAULT 0, carrier text)");
  const dir = migrationsFolder({
    "2025_12_01/001_weight.sql": "-- rookery:expand-contract\nALTER TABLE shipments ALTER COLUMN weight TYPE bigint;\nALTER TABLE shipments RENAME COLUMN carrier TO shipper;\n",
  });

  it("proves expand, abort back to the exact old schema, expand again and complete, with no rollback file", async () => {
    const proof = await proveRollback(testEnvironment(url), readCatalog(dir), "20251201_000001");
    expect(proof).toEqual({ version: "20251201_000001", ok: true, differences: [] });
    // The target was only read.
    expect(await query(url, "SELECT to_regclass('public.rookery_expansions') AS ledger")).toEqual([{ ledger: null }]);
  });
});
