import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { rookery } from "./support/cli.ts";
import { createTestDatabase, query } from "./support/services.ts";

const EXAMPLES = path.resolve(import.meta.dirname, "../migrations");
const TABLES = ["tenants", "email_accounts", "campaigns", "leads", "connection_pool_configs", "connection_pool_metrics", "campaign_contents"];
const INDEXES = [
  "idx_campaigns_tenant_status",
  "idx_campaigns_email_account_id",
  "idx_leads_tenant_campaign",
  "idx_leads_campaign_id",
  "idx_leads_tenant_email",
  "idx_connection_pool_configs_tenant_id",
  "idx_connection_pool_metrics_pool_sampled",
];

async function schemaOf(url: string) {
  const tables = await query<{ name: string; rls: boolean }>(
    url,
    "SELECT relname AS name, relrowsecurity AS rls FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relname = ANY($1) ORDER BY 1",
    [TABLES],
  );
  const indexes = await query<{ name: string; valid: boolean }>(
    url,
    "SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = ANY($1) ORDER BY 1",
    [INDEXES],
  );
  const policies = await query<{ table: string }>(url, "SELECT tablename AS table FROM pg_policies WHERE policyname = 'tenant_isolation' ORDER BY 1");
  return { tables, indexes, policies: policies.map((row) => row.table) };
}

async function expectFullSchema(url: string): Promise<void> {
  const schema = await schemaOf(url);
  expect(schema.tables.map((table) => table.name)).toEqual([...TABLES].sort());
  expect(schema.tables.filter((table) => table.rls).map((table) => table.name)).toEqual(["campaign_contents", "campaigns", "email_accounts", "leads"]);
  expect(schema.indexes).toEqual([...INDEXES].sort().map((name) => ({ name, valid: true })));
  expect(schema.policies).toEqual(["campaign_contents", "campaigns", "email_accounts", "leads"]);
}

describe("the example migrations", () => {
  let url: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    url = await createTestDatabase("examples");
    env = { DATABASE_URL: url, MIGRATIONS_DIR: EXAMPLES };
  });

  it("are the document's set on the base schema, each with its rollback", () => {
    const catalog = readCatalog(EXAMPLES);
    expect(catalog.migrations.map((migration) => migration.version)).toEqual([
      "20251101_000000",
      "20251101_000001",
      "20251101_000002",
      "20251102_000003",
      "20251103_000004",
    ]);
    expect(catalog.migrations.every((migration) => migration.rollback !== undefined)).toBe(true);
  });

  it("apply, roll back one by one in reverse order, and apply again", async () => {
    const first = await rookery(["apply", "--all"], env);
    expect(first.code, first.stderr).toBe(0);
    await expectFullSchema(url);

    const versions = readCatalog(EXAMPLES).migrations.map((migration) => migration.version);
    for (const version of [...versions].reverse()) {
      const run = await rookery(["rollback", version, "--reason", "round trip of the examples"], env);
      expect(run.code, `${version}: ${run.stderr}`).toBe(0);
    }
    expect(await schemaOf(url)).toEqual({ tables: [], indexes: [], policies: [] });
    const ledger = await query(url, "SELECT DISTINCT status FROM schema_migrations");
    expect(ledger).toEqual([{ status: "rolled_back" }]);

    const again = await rookery(["apply", "--all"], env);
    expect(again.code, again.stderr).toBe(0);
    await expectFullSchema(url);
    const verify = await rookery(["verify"], env);
    expect(verify.code, verify.stdout).toBe(0);
  });
});
