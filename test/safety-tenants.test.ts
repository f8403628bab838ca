import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { EnvironmentSchema } from "../src/config/index.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { migrationsFolder, rookery, writeMigration } from "./support/cli.ts";
import { adminDatabaseUrl, createTestDatabase, query } from "./support/services.ts";

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

    const history = await rookery(["history", "--version", "20251101_000001"], { DATABASE_URL: url });
    expect(history.stdout).toMatch(new RegExp(`tenant_applied\\s+test\\s+tenant ${CHARLIE} \\(1 rows\\)`));
    expect(history.stdout).toMatch(new RegExp(`failed\\s+test\\s+failed at tenant ${BRAVO}`));
  });

  it("refuses to continue a partial run with a file edited since the done tenants ran it", async () => {
    const edited = await createTestDatabase("tenantedit");
    await query(edited, "CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL)");
    await query(edited, "CREATE TABLE notes (id serial PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants, body text NOT NULL CHECK (body <> 'BOOM'))");
    await query(edited, "INSERT INTO tenants VALUES ($1, 'alpha'), ($2, 'bravo'), ($3, 'charlie')", [ALPHA, BRAVO, CHARLIE]);
    await query(edited, "INSERT INTO notes (tenant_id, body) VALUES ($1, 'a1'), ($2, 'boom'), ($3, 'c1')", [ALPHA, BRAVO, CHARLIE]);
    const dir = migrationsFolder({ "2025_11_01/001_shout_notes.sql": SHOUT_NOTES });
    const environment = { ...EnvironmentSchema.parse({ databaseUrl: edited }), name: "production" };
    const first = await applyMigrations({ environment, catalog: readCatalog(dir), actor: "test" });
    expect(first.failed?.error).toMatch(/failed for tenant/);

    writeMigration(dir, "2025_11_01/001_shout_notes.sql", SHOUT_NOTES.replace("upper(body)", "upper(body) || '!'"));
    const second = await applyMigrations({ environment, catalog: readCatalog(dir), actor: "test" });
    expect(second.failed?.error).toMatch(/001_shout_notes\.sql changed after 1 tenant\(s\) ran it \(00000000-0000-4000-8000-00000000000a\).*so no tenant was run/);
    expect(second.failed?.error).toContain("Put the file back as those tenants ran it");
    expect(await query(edited, "SELECT body FROM notes ORDER BY id")).toEqual([{ body: "A1" }, { body: "boom" }, { body: "c1" }]);

    writeMigration(dir, "2025_11_01/001_shout_notes.sql", SHOUT_NOTES);
    await query(edited, "UPDATE notes SET body = 'fixed' WHERE body = 'boom'");
    const third = await applyMigrations({ environment, catalog: readCatalog(dir), actor: "test" });
    expect(third.failed).toBeUndefined();
    expect(await query(edited, "SELECT body FROM notes ORDER BY id")).toEqual([{ body: "A1" }, { body: "FIXED" }, { body: "C1" }]);
  });

  it("refuses clearly when the database has no tenants table", async () => {
    const bare = await createTestDatabase("notenants");
    const dir = migrationsFolder({ "2025_11_01/001_shout_notes.sql": SHOUT_NOTES });
    const environment = { ...EnvironmentSchema.parse({ databaseUrl: bare }), name: "development" };

    const report = await applyMigrations({ environment, catalog: readCatalog(dir), actor: "test" });

    expect(report.failed?.error).toMatch(/tenant-scoped but the database has no tenants table/);
  });
});

describe("a tenant-scoped migration relying on row level security", () => {
  // 3 tenants, 4 pending orders each; the file scopes itself only through the tenant_isolation policy.
  const BUMP_PENDING = "-- rookery:tenant-scoped\nUPDATE orders SET total_cents = total_cents + 100 WHERE status = 'pending';\n";
  const suffix = randomBytes(4).toString("hex");
  const appRole = `rookery_tenant_app_${suffix}`;
  const ownerRole = `rookery_tenant_owner_${suffix}`;
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase("tenantrls");
    await query(url, `CREATE ROLE ${appRole} NOLOGIN; CREATE ROLE ${ownerRole} NOLOGIN`);
    await query(url, "CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL)");
    await query(url, "INSERT INTO tenants VALUES ($1, 'alpha'), ($2, 'bravo'), ($3, 'charlie')", [ALPHA, BRAVO, CHARLIE]);
    await query(url, `CREATE TABLE orders (id serial PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants, status text NOT NULL, total_cents int NOT NULL);
      INSERT INTO orders (tenant_id, status, total_cents) SELECT t.id, 'pending', 52 FROM tenants t, generate_series(1, 4);
      ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
      CREATE POLICY tenant_isolation ON orders USING (tenant_id = current_setting('app.current_tenant_id')::uuid);
      GRANT SELECT, UPDATE ON orders TO ${appRole};
      GRANT ${ownerRole} TO ${appRole};`);
  });
  afterAll(async () => {
    await query(url, `DROP OWNED BY ${appRole}, ${ownerRole}`).catch(() => {});
    await query(adminDatabaseUrl(), `DROP ROLE IF EXISTS ${appRole}; DROP ROLE IF EXISTS ${ownerRole}`);
  });
  const totals = () => query<{ total: number }>(url, "SELECT DISTINCT total_cents AS total FROM orders");
  const tenantEvents = () => query(url, "SELECT (detail->>'affectedRows')::int AS rows FROM migration_events WHERE event = 'tenant_applied'");
  const apply = (settings: Record<string, unknown> = {}) => {
    const dir = migrationsFolder({ "2025_11_01/001_bump_pending.sql": BUMP_PENDING });
    const environment = { ...EnvironmentSchema.parse({ databaseUrl: url, ...settings }), name: "production" };
    return applyMigrations({ environment, catalog: readCatalog(dir), actor: "test" });
  };

  it("refuses to run as a superuser, who bypasses the policy, saying why, and changes nothing", async () => {
    const report = await apply();
    expect(report.failed?.error).toMatch(/tenant-scoped, but row level security would not limit it to one tenant \(orders: postgres is a superuser/);
    expect(report.failed?.error).toContain("tenantRole");
    expect(await totals()).toEqual([{ total: 52 }]);
    expect(await tenantEvents()).toEqual([]);
  });

  it("refuses a tenantRole that is a member of the table's owner", async () => {
    await query(url, `ALTER TABLE orders OWNER TO ${ownerRole}`);
    const report = await apply({ tenantRole: appRole });
    expect(report.failed?.error).toMatch(new RegExp(`orders: ${appRole} owns orders \\(or is a member of its owner\\) and FORCE ROW LEVEL SECURITY is off`));
    expect(await totals()).toEqual([{ total: 52 }]);
    await query(url, `ALTER TABLE orders OWNER TO postgres; REVOKE ${ownerRole} FROM ${appRole}`);
  });

  it("runs as the configured tenantRole, so each tenant's run changes only that tenant's orders", async () => {
    const report = await apply({ tenantRole: appRole });
    expect(report.failed).toBeUndefined();
    expect(await totals()).toEqual([{ total: 152 }]);
    expect(await tenantEvents()).toEqual([{ rows: 4 }, { rows: 4 }, { rows: 4 }]);
    expect(await query(url, "SELECT applied_by FROM schema_migrations")).toEqual([{ applied_by: "test" }]);
  });
});
