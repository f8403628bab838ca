import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeSql, loadParser, RULES } from "../src/analysis/index.ts";

beforeAll(() => loadParser());

/** A lint case: SQL, optionally its rollback (`null`: known to have none), and the exact rule ids it must raise. */
interface Case {
  sql: string;
  rollback?: string | null;
  expected: string[];
}

function ruleIds({ sql, rollback }: Case): string[] {
  const options =
    rollback === undefined ? {} : { rollback: rollback === null ? null : { path: "rollback_001_case.sql", sql: rollback } };
  const analysis = analyzeSql(sql, "001_case.sql", options);
  return [...new Set(analysis.findings.map((finding) => finding.rule))].sort();
}

/** One table per rule: cases that fire it and cases that must stay quiet. */
const TABLES: Record<string, Case[]> = {
  "require-concurrent-index-creation": [
    { sql: "CREATE INDEX users_email_idx ON users (email);", expected: ["require-concurrent-index-creation"] },
    { sql: "CREATE UNIQUE INDEX IF NOT EXISTS i ON app.users (email);", expected: ["require-concurrent-index-creation"] },
    { sql: "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);", expected: [] },
    { sql: "CREATE TABLE t (id bigint PRIMARY KEY, email text); CREATE INDEX t_email_idx ON t (email);", expected: [] },
  ],
  "adding-not-nullable-field": [
    { sql: "ALTER TABLE users ADD COLUMN plan text NOT NULL;", expected: ["adding-not-nullable-field"] },
    {
      sql: "ALTER TABLE users ADD COLUMN code bigint PRIMARY KEY;",
      expected: ["adding-not-nullable-field", "adding-unique-constraint-without-index"],
    },
    { sql: "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';", expected: [] },
    { sql: "ALTER TABLE users ADD COLUMN plan text;", expected: [] },
    { sql: "CREATE TABLE t (id bigint); ALTER TABLE t ADD COLUMN plan text NOT NULL;", expected: [] },
  ],
  "adding-field-with-volatile-default": [
    { sql: "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();", expected: ["adding-field-with-volatile-default"] },
    { sql: "ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT clock_timestamp();", expected: ["adding-field-with-volatile-default"] },
    { sql: "ALTER TABLE users ADD COLUMN n bigserial;", expected: ["adding-field-with-volatile-default"] },
    { sql: "ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now();", expected: [] },
    { sql: "ALTER TABLE users ADD COLUMN active boolean DEFAULT true;", expected: [] },
    { sql: "CREATE TABLE t (id bigint); ALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid();", expected: [] },
  ],
  "changing-column-type": [
    { sql: "ALTER TABLE users ALTER COLUMN id TYPE bigint;", expected: ["changing-column-type"] },
    { sql: "ALTER TABLE users ALTER COLUMN note SET DEFAULT '';", expected: [] },
  ],
  "setting-not-null-without-check": [
    { sql: "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", expected: ["setting-not-null-without-check"] },
    {
      // Proven by a check validated in the same file; validating there is its own finding.
      sql: "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT email_nn;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
      expected: ["validating-constraint-in-same-transaction"],
    },
    {
      sql: "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
      expected: ["setting-not-null-without-check"],
    },
    {
      sql: "ALTER TABLE users ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT name_nn;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
      expected: ["setting-not-null-without-check", "validating-constraint-in-same-transaction"],
    },
  ],
  "adding-constraint-without-not-valid": [
    {
      sql: "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
      expected: ["adding-constraint-without-not-valid"],
    },
    { sql: "ALTER TABLE orders ADD CONSTRAINT positive CHECK (amount > 0);", expected: ["adding-constraint-without-not-valid"] },
    { sql: "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;", expected: [] },
    { sql: "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;", expected: [] },
    { sql: "CREATE TABLE t (id bigint, n int); ALTER TABLE t ADD CONSTRAINT positive CHECK (n > 0);", expected: [] },
  ],
  "adding-unique-constraint-without-index": [
    { sql: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);", expected: ["adding-unique-constraint-without-index"] },
    { sql: "ALTER TABLE users ADD PRIMARY KEY (id);", expected: ["adding-unique-constraint-without-index"] },
    { sql: "ALTER TABLE users ADD COLUMN code text UNIQUE;", expected: ["adding-unique-constraint-without-index"] },
    { sql: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;", expected: [] },
  ],
  "renaming-column-or-table": [
    { sql: "ALTER TABLE users RENAME COLUMN email TO email_address;", expected: ["renaming-column-or-table"] },
    { sql: "ALTER TABLE users RENAME TO accounts;", expected: ["renaming-column-or-table"] },
    { sql: "ALTER INDEX users_email_idx RENAME TO users_email_key;", expected: [] },
  ],
  "dropping-column-or-table": [
    { sql: "DROP TABLE legacy_events;", expected: ["dropping-column-or-table"] },
    { sql: "ALTER TABLE users DROP COLUMN fax;", expected: ["dropping-column-or-table"] },
    { sql: "DROP INDEX CONCURRENTLY IF EXISTS users_fax_idx;", expected: [] },
    { sql: "CREATE TABLE scratch (id bigint); DROP TABLE scratch;", expected: [] },
  ],
  "rollback-drop-without-if-exists": [
    { sql: "CREATE TABLE t (id bigint);", rollback: "DROP TABLE t;", expected: ["rollback-drop-without-if-exists"] },
    {
      sql: "ALTER TABLE users ADD COLUMN plan text;",
      rollback: "ALTER TABLE users DROP COLUMN plan;",
      expected: ["rollback-drop-without-if-exists"],
    },
    { sql: "CREATE TABLE t (id bigint);", rollback: "DROP TABLE IF EXISTS t;", expected: [] },
    { sql: "ALTER TABLE users ADD COLUMN plan text;", rollback: "ALTER TABLE users DROP COLUMN IF EXISTS plan;", expected: [] },
  ],
  "ban-vacuum-full": [
    { sql: "VACUUM FULL users;", expected: ["ban-vacuum-full"] },
    { sql: "VACUUM (FULL, ANALYZE) users;", expected: ["ban-vacuum-full"] },
    { sql: "VACUUM ANALYZE users;", expected: [] },
  ],
  "ban-cluster": [
    { sql: "CLUSTER users USING users_pkey;", expected: ["ban-cluster"] },
    { sql: "CREATE TABLE t (id bigint PRIMARY KEY); CLUSTER t USING t_pkey;", expected: [] },
  ],
  "ban-lock-table": [
    { sql: "LOCK TABLE users IN ACCESS EXCLUSIVE MODE;", expected: ["ban-lock-table"] },
    { sql: "CREATE TABLE t (id bigint); LOCK TABLE t;", expected: [] },
  ],
  "ban-truncate": [
    { sql: "TRUNCATE sessions;", expected: ["ban-truncate"] },
    { sql: "CREATE TABLE t (id bigint); TRUNCATE t;", expected: [] },
  ],
  "unbounded-update-or-delete": [
    { sql: "UPDATE users SET plan = 'free';", expected: ["unbounded-update-or-delete"] },
    { sql: "DELETE FROM sessions;", expected: ["unbounded-update-or-delete"] },
    { sql: "UPDATE users SET plan = 'free' WHERE plan IS NULL AND id < 10000;", expected: [] },
    { sql: "DELETE FROM sessions WHERE expires_at < now();", expected: [] },
    { sql: "CREATE TABLE t (id bigint, n int); UPDATE t SET n = 0;", expected: [] },
  ],
  "transaction-control-in-file": [
    { sql: "BEGIN;\nUPDATE users SET plan = 'free' WHERE id = 1;\nCOMMIT;", expected: ["transaction-control-in-file"] },
    { sql: "DO $$\nBEGIN\n  UPDATE users SET plan = 'free' WHERE id = 1;\n  COMMIT;\nEND\n$$;", expected: ["transaction-control-in-file"] },
    { sql: "DO $$ BEGIN RAISE NOTICE 'commit later'; END $$;", expected: [] },
    { sql: "UPDATE users SET plan = 'free' WHERE id = 1;", expected: [] },
  ],
  "prefer-set-local": [
    { sql: "SET search_path = billing, public;\nCREATE TABLE invoices (id bigint);", rollback: "DROP TABLE IF EXISTS billing.invoices;", expected: ["prefer-set-local"] },
    { sql: "SET session_replication_role = replica;\nINSERT INTO orders (id) VALUES (1);", expected: ["prefer-set-local"] },
    { sql: "SET ROLE app_owner;\nCREATE TABLE t (id bigint);", rollback: "DROP TABLE IF EXISTS t;", expected: ["prefer-set-local"] },
    { sql: "SELECT 1;", rollback: "SET search_path TO DEFAULT;\nSELECT 1;", expected: ["prefer-set-local"] },
    { sql: "SET LOCAL search_path = billing, public;\nSET LOCAL ROLE app_owner;\nSELECT 1;", expected: [] },
    { sql: "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nRESET search_path;\nSELECT 1;", expected: [] },
    { sql: "SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_plan_idx ON users (plan);", expected: [] },
  ],
  "enum-value-used-in-same-file": [
    { sql: "ALTER TYPE order_status ADD VALUE 'refunded';\nUPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL;", expected: ["enum-value-used-in-same-file"] },
    { sql: "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';\nALTER TABLE orders ALTER COLUMN status SET DEFAULT 'refunded';", expected: ["enum-value-used-in-same-file"] },
    { sql: "ALTER TYPE order_status ADD VALUE 'refunded';\nUPDATE orders SET status = 'paid' WHERE id = 1;", expected: [] },
  ],
  "copy-from-stdin": [
    { sql: "COPY countries (code, name) FROM STDIN;", expected: ["copy-from-stdin"] },
    { sql: "COPY countries TO STDOUT;", expected: [] },
  ],
  "validating-constraint-in-same-transaction": [
    {
      sql: "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;",
      expected: ["validating-constraint-in-same-transaction"],
    },
    { sql: "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;", expected: [] },
    { sql: "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT other_check;", expected: [] },
  ],
  "backfill-in-same-transaction": [
    { sql: "ALTER TABLE orders ADD COLUMN total_cents bigint;\nUPDATE orders SET total_cents = total * 100 WHERE id < 10000;", expected: ["backfill-in-same-transaction"] },
    { sql: "ALTER TABLE orders ADD COLUMN total_cents bigint;\nUPDATE customers SET vip = true WHERE id = 1;", expected: [] },
    { sql: "CREATE TABLE t (id bigint, n int);\nALTER TABLE t ADD COLUMN m int;\nUPDATE t SET m = n WHERE id > 0;", expected: [] },
  ],
  "mixing-non-transactional-statements": [
    {
      sql: "ALTER TABLE users ADD COLUMN plan text;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_plan_idx ON users (plan);",
      expected: ["mixing-non-transactional-statements"],
    },
    {
      sql: "DROP INDEX CONCURRENTLY IF EXISTS users_plan_old_idx;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_plan_idx ON users (plan);",
      expected: [],
    },
    { sql: "SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_plan_idx ON users (plan);", expected: [] },
  ],
  "concurrent-index-without-if-not-exists": [
    { sql: "CREATE INDEX CONCURRENTLY users_plan_idx ON users (plan);", expected: ["concurrent-index-without-if-not-exists"] },
    { sql: "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_plan_idx ON users (plan);", expected: [] },
  ],
  "prefer-bigint-keys": [
    { sql: "CREATE TABLE t (id serial PRIMARY KEY);", expected: ["prefer-bigint-keys"] },
    { sql: "CREATE TABLE t (id int, PRIMARY KEY (id));", expected: ["prefer-bigint-keys"] },
    { sql: "CREATE TABLE t (id integer GENERATED ALWAYS AS IDENTITY);", expected: ["prefer-bigint-keys"] },
    { sql: "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, retries int);", expected: [] },
  ],
  "prefer-text-over-varchar": [
    { sql: "CREATE TABLE t (id bigint, name varchar(100));", expected: ["prefer-text-over-varchar"] },
    { sql: "ALTER TABLE users ADD COLUMN nick varchar(20);", expected: ["prefer-text-over-varchar"] },
    { sql: "CREATE TABLE t (id bigint, name text, code varchar);", expected: [] },
  ],
  "prefer-timestamptz": [
    { sql: "CREATE TABLE t (id bigint, created_at timestamp);", expected: ["prefer-timestamptz"] },
    { sql: "CREATE TABLE t (id bigint, created_at timestamp without time zone DEFAULT now());", expected: ["prefer-timestamptz"] },
    { sql: "CREATE TABLE t (id bigint, created_at timestamptz, done_at TIMESTAMP WITH TIME ZONE);", expected: [] },
  ],
  "ddl-without-rollback-file": [
    { sql: "CREATE TABLE t (id bigint);", rollback: null, expected: ["ddl-without-rollback-file"] },
    { sql: "UPDATE users SET plan = 'free' WHERE plan IS NULL;", rollback: null, expected: [] },
    { sql: "CREATE TABLE t (id bigint);", rollback: "DROP TABLE IF EXISTS t;", expected: [] },
  ],
  "rollback-does-not-undo": [
    { sql: "CREATE TABLE a (id bigint); CREATE TABLE b (id bigint);", rollback: "DROP TABLE IF EXISTS a;", expected: ["rollback-does-not-undo"] },
    {
      sql: "ALTER TABLE users ADD COLUMN plan text;",
      rollback: "ALTER TABLE users DROP COLUMN IF EXISTS note;",
      expected: ["rollback-does-not-undo"],
    },
    {
      sql: "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_plan_idx ON users (plan);",
      rollback: "SELECT 1;",
      expected: ["rollback-does-not-undo"],
    },
    {
      sql: "CREATE TABLE a (id bigint); CREATE INDEX a_id_idx ON a (id); ALTER TABLE a ADD COLUMN n bigint;",
      rollback: "DROP TABLE IF EXISTS public.a;",
      expected: [],
    },
    {
      sql: "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_plan_idx ON users (plan);",
      rollback: "DROP INDEX CONCURRENTLY IF EXISTS users_plan_idx;",
      expected: [],
    },
    {
      sql: "ALTER TABLE users ADD COLUMN plan text;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_plan_idx ON users (plan);",
      rollback: "ALTER TABLE users DROP COLUMN IF EXISTS plan;",
      expected: ["mixing-non-transactional-statements"],
    },
    {
      sql: "CREATE POLICY tenant_isolation ON leads USING (true);\nCREATE TRIGGER leads_touch BEFORE UPDATE ON leads FOR EACH ROW EXECUTE FUNCTION touch();",
      rollback: "DROP POLICY IF EXISTS tenant_isolation ON leads;",
      expected: ["rollback-does-not-undo"],
    },
    {
      sql: "CREATE POLICY tenant_isolation ON app.leads USING (true);\nCREATE TRIGGER leads_touch BEFORE UPDATE ON leads FOR EACH ROW EXECUTE FUNCTION touch();",
      rollback: "DROP TRIGGER IF EXISTS leads_touch ON public.leads;\nDROP POLICY IF EXISTS tenant_isolation ON app.leads;",
      expected: [],
    },
    { sql: "CREATE SCHEMA billing; CREATE TABLE billing.invoices (id bigint);", rollback: "DROP SCHEMA IF EXISTS billing CASCADE;", expected: [] },
    {
      sql: "SET LOCAL search_path = billing, public;\nCREATE TABLE invoices (id bigint);\nCREATE INDEX invoices_id_idx ON invoices (id);\nCREATE TYPE invoice_state AS ENUM ('open');",
      rollback: "DROP TYPE IF EXISTS billing.invoice_state;\nDROP TABLE IF EXISTS billing.invoices;",
      expected: [],
    },
    {
      sql: "CREATE TABLE billing.invoices (id bigint);\nCREATE POLICY mine ON billing.invoices USING (true);",
      rollback: "SET LOCAL search_path = billing;\nDROP POLICY IF EXISTS mine ON invoices;\nDROP TABLE IF EXISTS invoices;",
      expected: [],
    },
    {
      sql: "SET LOCAL search_path = billing, public;\nCREATE TABLE invoices (id bigint);",
      rollback: "DROP TABLE IF EXISTS invoices;",
      expected: ["rollback-does-not-undo"],
    },
  ],
};

describe("lint rules", () => {
  it("documents every rule, with its severity, in docs/lint.md", () => {
    const page = readFileSync(new URL("../docs/lint.md", import.meta.url), "utf8");
    for (const rule of RULES) expect(page).toContain(`| \`${rule.id}\` | ${rule.severity} |`);
  });

  it("has a case table for every rule", () => {
    expect(Object.keys(TABLES).sort()).toEqual(RULES.map((rule) => rule.id).sort());
  });

  for (const [rule, cases] of Object.entries(TABLES)) {
    describe(rule, () => {
      it.each(cases)("$sql -> $expected", (lintCase) => {
        expect(ruleIds(lintCase)).toEqual(lintCase.expected);
      });
    });
  }

  it("finds nothing in a new table created with its indexes and constraints in the same file", () => {
    const sql = `CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, created_at timestamptz DEFAULT now());
CREATE UNIQUE INDEX accounts_email_key ON accounts (email);
ALTER TABLE accounts ADD CONSTRAINT email_shape CHECK (email LIKE '%@%');
INSERT INTO accounts (email) VALUES ('a@example.com');`;
    expect(analyzeSql(sql, "001_accounts.sql", { rollback: { path: "rollback_001_accounts.sql", sql: "DROP TABLE IF EXISTS accounts;" } }).findings).toEqual([]);
  });

  it("points a finding at the line and column of the offending column, with the rule's severity and safe way", () => {
    const sql = "CREATE TABLE t (\n  id bigint,\n  created_at timestamp\n);";
    const [finding] = analyzeSql(sql, "001_t.sql").findings;
    expect(finding).toMatchObject({ rule: "prefer-timestamptz", severity: "warning", file: "001_t.sql", line: 3, column: 14 });
    expect(finding?.message).toContain("created_at");
    expect(finding?.safeWay).toContain("timestamptz");
  });

  it("counts a finding's column in characters after multibyte text", () => {
    const line = "CREATE TABLE t (id bigint, note text DEFAULT '☕ café', created_at timestamp);";
    const [finding] = analyzeSql(`-- naïve ☕\n${line}`, "001_t.sql").findings;
    expect(finding).toMatchObject({ rule: "prefer-timestamptz", line: 2, column: line.indexOf("timestamp)") + 1 });
  });

  it("reports rollback findings in the rollback file", () => {
    const analysis = analyzeSql("CREATE TABLE t (id bigint);", "001_t.sql", {
      rollback: { path: "rollback_001_t.sql", sql: "-- undo\nDROP TABLE t;" },
    });
    expect(analysis.findings).toMatchObject([{ rule: "rollback-drop-without-if-exists", file: "rollback_001_t.sql", line: 2, column: 1 }]);
  });
});
