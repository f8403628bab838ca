import { beforeAll, describe, expect, it } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { EnvironmentSchema } from "../src/config/index.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { createTestDatabase, query } from "./support/services.ts";

const ALPHA = "00000000-0000-4000-8000-00000000000a";
const BRAVO = "00000000-0000-4000-8000-00000000000b";
const CHARLIE = "00000000-0000-4000-8000-00000000000c";

// Runs once per tenant; the notes table refuses the upper-cased 'BOOM' that Bravo's data turns into.
const SHOUT_NOTES = `-- rookery:tenant-scoped batch-size=1
UPDATE notes SET body = upper(body) WHERE tenant_id = current_setting('app.current_tenant_id')::uuid;
`;

describe("a tenant-scoped migration", () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase("tenants");
    await query(url, "CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL)");
    await query(url, "CREATE TABLE notes (id serial PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants, body text NOT NULL CHECK (body <> 'BOOM'))");
    await query(url, "INSERT INTO tenants VALUES ($1, 'alpha'), ($2, 'bravo'), ($3, 'charlie')", [ALPHA, BRAVO, CHARLIE]);
    await query(
      url,
      `INSERT INTO notes (tenant_id, body) VALUES ($1, 'a1'), ($1, 'a2'), ($2, 'boom'), ($2, 'b2'), ($3, 'c1')`,
      [ALPHA, BRAVO, CHARLIE],
    );
  });

  it("runs per tenant, stops at the failing tenant naming the done ones, and a re-apply finishes the rest", async () => {
    const dir = migrationsFolder({ "2025_11_01/001_shout_notes.sql": SHOUT_NOTES });
    const environment = { ...EnvironmentSchema.parse({ databaseUrl: url }), name: "production" };
    const ctx = { environment, catalog: readCatalog(dir), actor: "test" };

    const first = await applyMigrations(ctx);

    expect(first.applied).toEqual([]);
    expect(first.failed?.error).toMatch(new RegExp(`failed for tenant ${BRAVO}.*1 tenant\\(s\\) are done \\(${ALPHA}\\)`));
    expect(await query(url, "SELECT status FROM schema_migrations WHERE version = '20251101_000001'")).toEqual([{ status: "failed" }]);
    expect(await query(url, "SELECT detail->>'tenantId' AS tenant, (detail->>'affectedRows')::int AS rows FROM migration_events WHERE event = 'tenant_applied' ORDER BY id")).toEqual([
      { tenant: ALPHA, rows: 2 },
    ]);
    expect(await query(url, "SELECT detail->'doneTenants' AS done, detail->>'failedTenant' AS failed FROM migration_events WHERE event = 'failed'")).toEqual([
      { done: [ALPHA], failed: BRAVO },
    ]);
    expect(await query(url, "SELECT body FROM notes ORDER BY id")).toEqual([{ body: "A1" }, { body: "A2" }, { body: "boom" }, { body: "b2" }, { body: "c1" }]);

    await query(url, "UPDATE notes SET body = 'fixed' WHERE body = 'boom'");
    const again = await applyMigrations(ctx);

    expect(again.failed).toBeUndefined();
    expect(again.applied.map((each) => each.version)).toEqual(["20251101_000001"]);
    expect(await query(url, "SELECT status FROM schema_migrations WHERE version = '20251101_000001'")).toEqual([{ status: "applied" }]);
    expect(await query(url, "SELECT detail->>'tenantId' AS tenant, (detail->>'affectedRows')::int AS rows FROM migration_events WHERE event = 'tenant_applied' ORDER BY id")).toEqual([
      { tenant: ALPHA, rows: 2 },
      { tenant: BRAVO, rows: 2 },
      { tenant: CHARLIE, rows: 1 },
    ]);
    expect(await query(url, "SELECT body FROM notes ORDER BY id")).toEqual([{ body: "A1" }, { body: "A2" }, { body: "FIXED" }, { body: "B2" }, { body: "C1" }]);
  });

  it("refuses clearly when the database has no tenants table", async () => {
    const bare = await createTestDatabase("notenants");
    const dir = migrationsFolder({ "2025_11_01/001_shout_notes.sql": SHOUT_NOTES });
    const environment = { ...EnvironmentSchema.parse({ databaseUrl: bare }), name: "development" };

    const report = await applyMigrations({ environment, catalog: readCatalog(dir), actor: "test" });

    expect(report.failed?.error).toMatch(/tenant-scoped but the database has no tenants table/);
  });
});
