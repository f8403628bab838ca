import { beforeAll, describe, expect, it } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { planMigrations } from "../src/runner/index.ts";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

describe("plan reads the database for what a file cannot tell", () => {
  let url: string;
  const dir = migrationsFolder({
    "2025_11_01/001_drop_full_name.sql": "ALTER TABLE customers DROP COLUMN full_name;\n",
    "2025_11_01/002_widen_email.sql": "ALTER TABLE customers ALTER COLUMN email TYPE varchar(320);\n",
    "2025_11_01/003_drop_customers.sql": "DROP TABLE customers CASCADE;\n",
    "2025_11_01/004_drop_notes.sql": "ALTER TABLE customers DROP COLUMN notes;\n",
  });
  beforeAll(async () => {
    url = await createTestDatabase("plandeps");
    await query(url, `CREATE TABLE customers (id bigint PRIMARY KEY, full_name text, email text, notes text);
      CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));
      CREATE VIEW customer_order_totals AS SELECT c.id, c.full_name, c.email, count(o.id) AS orders FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id;`);
  });

  it("warns that a DROP COLUMN or a type change breaks a dependent view, and names what CASCADE drops", async () => {
    const environment = testEnvironment(url);
    const steps = await planMigrations(environment, readCatalog(dir));
    expect(Object.fromEntries(steps.map((step) => [step.version, step.databaseWarnings]))).toEqual({
      "20251101_000001": ["line 1: DROP COLUMN customers.full_name fails at apply: view customer_order_totals depend(s) on it"],
      "20251101_000002": [
        "line 1: changing the type of customers.email fails at apply: view customer_order_totals depend(s) on it; drop and recreate them in the same migration",
      ],
      "20251101_000003": ["line 1: DROP ... customers CASCADE also drops constraint orders_customer_id_fkey on table orders, view customer_order_totals, without a word at apply"],
      "20251101_000004": [],
    });

    const cli = await rookery(["plan"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    expect(cli.stdout).toContain("what the database says:\n  2025_11_01/001_drop_full_name.sql: line 1: DROP COLUMN customers.full_name fails at apply");
    // Only read: everything is still there.
    expect(await query(url, "SELECT count(*)::int AS n FROM information_schema.views WHERE table_name = 'customer_order_totals'")).toEqual([{ n: 1 }]);
  });
});

describe("plan of an expand-contract file says when a dependent view stops it", () => {
  const dir = migrationsFolder({
    "2025_11_01/001_drop_full_name.sql": "-- rookery:expand-contract\nALTER TABLE customers DROP COLUMN full_name;\n",
    "2025_11_01/002_widen_email.sql": "-- rookery:expand-contract\nALTER TABLE customers ALTER COLUMN email TYPE varchar(320);\n",
  });

  // Apply only hides the column (it is dropped at complete), and refuses the type change before any DDL; before,
  // plan said both fail at apply, and to drop and recreate the view in the same migration, which expand-contract refuses.
  it("a dropped column fails at complete, a type change is refused at apply", async () => {
    const url = await createTestDatabase("plandeps-ec");
    await query(url, `CREATE TABLE customers (id bigint PRIMARY KEY, full_name text, email text);
      CREATE VIEW customer_names AS SELECT id, full_name, email FROM customers;`);
    const steps = await planMigrations(testEnvironment(url), readCatalog(dir));
    expect(Object.fromEntries(steps.map((step) => [step.version, step.databaseWarnings]))).toEqual({
      "20251101_000001": ["line 2: DROP COLUMN customers.full_name fails at `rookery complete`: view customer_names depend(s) on it; change them in a plain migration before complete"],
      "20251101_000002": ["line 2: changing the type of customers.email in two phases is refused at apply: view customer_names depend(s) on it"],
    });
  });
});
