import { beforeAll, describe, expect, it } from "vitest";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { createTestDatabase, query } from "./support/services.ts";

const DUPLICATE = "Key (tenant_id, lower(email))=(3, dup@example.com) is duplicated.";
const DEPENDENT_VIEW = "view customer_order_totals depends on column full_name of table customers";

describe("Postgres's DETAIL and HINT of a failure", () => {
  let url: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    url = await createTestDatabase("pgdetail");
    const dir = migrationsFolder({
      "2025_11_01/001_customers.sql":
        "CREATE TABLE customers (id bigint PRIMARY KEY, tenant_id int NOT NULL, email text NOT NULL, full_name text);\n" +
        "INSERT INTO customers VALUES (1, 3, 'dup@example.com', 'A'), (2, 3, 'DUP@example.com', 'B');\n" +
        "CREATE VIEW customer_order_totals AS SELECT id, full_name FROM customers;\n",
      "2025_11_01/002_add_full_name_index.sql": "CREATE INDEX customers_full_name_idx ON customers (full_name);\n",
      "2025_11_01/rollback_002_add_full_name_index.sql": "ALTER TABLE customers DROP COLUMN full_name;\n",
      "2025_11_01/003_unique_email.sql": "CREATE UNIQUE INDEX customers_email_key ON customers (tenant_id, lower(email));\n",
    });
    env = { DATABASE_URL: url, MIGRATIONS_DIR: dir };
  });

  it("keeps the duplicated key of a failed apply in the CLI's message, --json, the ledger and history", async () => {
    const run = await rookery(["apply", "--all"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`could not create unique index "customers_email_key"\nDETAIL: ${DUPLICATE}`);

    const json = JSON.parse((await rookery(["apply", "--all", "--json"], env)).stdout);
    expect(json.failed.error).toContain(`DETAIL: ${DUPLICATE}`);
    expect(json.failed.postgresDetail).toBe(DUPLICATE);

    const [event] = await query<{ error_message: string; detail: { postgresDetail: string } }>(
      url,
      "SELECT error_message, detail FROM migration_events WHERE version = '20251101_000003' AND event = 'failed' ORDER BY id DESC LIMIT 1",
    );
    expect(event?.error_message).toContain(DUPLICATE);
    expect(event?.detail.postgresDetail).toBe(DUPLICATE);

    const history = await rookery(["history", "--version", "20251101_000003"], env);
    expect(history.stdout).toContain(DUPLICATE);
  });

  it("keeps the dependent view and the hint of a failed rollback in the CLI's message, --json and history", async () => {
    const run = await rookery(["rollback", "20251101_000002", "--reason", "index unused"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`DETAIL: ${DEPENDENT_VIEW}`);
    expect(run.stderr).toContain("HINT: Use DROP ... CASCADE to drop the dependent objects too.");

    const json = JSON.parse((await rookery(["rollback", "20251101_000002", "--reason", "index unused", "--json"], env)).stdout);
    expect(json.error.message).toContain(DEPENDENT_VIEW);

    const history = await rookery(["history", "--version", "20251101_000002"], env);
    expect(history.stdout).toContain(DEPENDENT_VIEW);
    expect(history.stdout.trimEnd().split("\n").length).toBe(1 + 3);
  });
});
