import { describe, expect, it } from "vitest";
import { completeExpansion } from "../../src/expand/index.ts";
import { applyMigrations, rollbackMigration } from "../../src/runner/index.ts";
import { compareSnapshots } from "../../src/runner/schema-snapshot.ts";
import { migrationsFolder } from "../support/cli.ts";
import { runContext, testEnvironment } from "../support/engine.ts";
import { queryAs, schemaOf } from "../support/expand.ts";
import { createTestDatabase, query } from "../support/services.ts";

const VERSION = "20251201_000001";
const NEW = `rookery_${VERSION},public`;

const constraints = (url: string) =>
  query(url, "SELECT conname, pg_get_constraintdef(oid) AS def, convalidated AS valid FROM pg_constraint WHERE conrelid = 'accounts'::regclass ORDER BY conname");
const indexes = (url: string) => query(url, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'accounts' ORDER BY indexname");

describe("ALTER COLUMN TYPE of a column with CHECKs, a UNIQUE constraint, partial and expression indexes", async () => {
  const url = await createTestDatabase("exp-type-deps");
  await query(
    url,
    `CREATE TABLE accounts (id bigint PRIMARY KEY, code integer NOT NULL, email varchar(50),
       CONSTRAINT accounts_email_key UNIQUE (email), CONSTRAINT code_positive CHECK (code > 0), CONSTRAINT code_below_id CHECK (code < id + 1000000));
     CREATE INDEX accounts_busy ON accounts (id) WHERE code > 100;
     CREATE INDEX accounts_email_lower ON accounts (lower(email)) WHERE email <> 'code';
     INSERT INTO accounts SELECT g, g, 'a' || g || '@x' FROM generate_series(1, 1500) g`,
  );
  const dir = migrationsFolder({
    "2025_12_01/001_widen.sql": "-- rookery:expand-contract\nALTER TABLE accounts ALTER COLUMN code TYPE bigint;\nALTER TABLE accounts ALTER COLUMN email TYPE text;\n",
  });
  const environment = testEnvironment(url, { backfillBatchSize: 500 });
  const before = await schemaOf(url);
  const constraintsBefore = await constraints(url);

  it("expands: every CHECK, the UNIQUE index and the partial and expression indexes are copied onto the new columns, checked", async () => {
    const report = await applyMigrations(runContext(environment, dir), { versions: [VERSION] });
    expect(report.failed).toBeUndefined();
    expect(await constraints(url)).toEqual(
      expect.arrayContaining([
        { conname: "_rookery_code_positive", def: "CHECK ((_rookery_code > 0))", valid: true },
        { conname: "_rookery_code_below_id", def: "CHECK ((_rookery_code < (id + 1000000)))", valid: true },
      ]),
    );
    expect(await indexes(url)).toEqual(
      expect.arrayContaining([
        { indexname: "_rookery_accounts_busy", indexdef: "CREATE INDEX _rookery_accounts_busy ON public.accounts USING btree (id) WHERE (_rookery_code > 100)" },
        { indexname: "_rookery_accounts_email_key", indexdef: "CREATE UNIQUE INDEX _rookery_accounts_email_key ON public.accounts USING btree (_rookery_email)" },
        {
          indexname: "_rookery_accounts_email_lower",
          indexdef: "CREATE INDEX _rookery_accounts_email_lower ON public.accounts USING btree (lower(_rookery_email)) WHERE (_rookery_email <> 'code'::text)",
        },
      ]),
    );
    // The new release's writes are held to the same rules.
    await expect(queryAs(url, NEW, "INSERT INTO accounts (id, code, email) VALUES (5000, -1, 'new@x')")).rejects.toThrow(/check constraint/);
    await expect(queryAs(url, NEW, "INSERT INTO accounts (id, code, email) VALUES (5001, 7, 'a1@x')")).rejects.toThrow(/duplicate key value/);
  });

  it("aborts back to exactly the old schema", async () => {
    await rollbackMigration(runContext(environment, dir), { version: VERSION, reason: "again" });
    expect(compareSnapshots(before, await schemaOf(url), "after abort")).toEqual([]);
  });

  it("completes: the copies take the original names, over the new types", async () => {
    expect((await applyMigrations(runContext(environment, dir), { versions: [VERSION] })).failed).toBeUndefined();
    await completeExpansion(runContext(environment, dir), { version: VERSION });
    expect(await query(url, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'accounts' ORDER BY ordinal_position")).toEqual([
      { column_name: "id", data_type: "bigint" },
      { column_name: "code", data_type: "bigint" },
      { column_name: "email", data_type: "text" },
    ]);
    expect(await constraints(url)).toEqual(constraintsBefore);
    expect(await indexes(url)).toEqual([
      { indexname: "accounts_busy", indexdef: "CREATE INDEX accounts_busy ON public.accounts USING btree (id) WHERE (code > 100)" },
      { indexname: "accounts_email_key", indexdef: "CREATE UNIQUE INDEX accounts_email_key ON public.accounts USING btree (email)" },
      { indexname: "accounts_email_lower", indexdef: "CREATE INDEX accounts_email_lower ON public.accounts USING btree (lower(email)) WHERE (email <> 'code'::text)" },
      { indexname: "accounts_pkey", indexdef: "CREATE UNIQUE INDEX accounts_pkey ON public.accounts USING btree (id)" },
    ]);
    await expect(query(url, "INSERT INTO accounts VALUES (6000, 0, 'z@x')")).rejects.toThrow(/code_positive/);
  });
});

describe("ALTER COLUMN TYPE of a column that cannot move in two phases names each blocker and the way by hand", async () => {
  const url = await createTestDatabase("exp-type-blocked");
  await query(
    url,
    `CREATE TABLE parents (id integer PRIMARY KEY, label varchar(10), shout text GENERATED ALWAYS AS (upper(label)) STORED);
     CREATE TABLE children (id bigint PRIMARY KEY, parent_id integer REFERENCES parents (id));
     CREATE VIEW labels AS SELECT label FROM parents`,
  );
  const dir = migrationsFolder({
    "2025_12_01/001_widen.sql": "-- rookery:expand-contract\nALTER TABLE parents ALTER COLUMN id TYPE bigint;\nALTER TABLE parents ALTER COLUMN label TYPE text;\n",
  });

  it("refuses before any DDL: the foreign key another table holds on the key, the view and the generated column, each with what to do", async () => {
    const report = await applyMigrations(runContext(testEnvironment(url), dir), { versions: [VERSION] });
    const error = report.failed?.error ?? "";
    // The primary key itself moves (below); the foreign key another table holds on it does not.
    expect(error).not.toContain("primary key parents_pkey");
    expect(error).toContain(
      "line 2: column parents.id is used by foreign key children_parent_id_fkey of children, which cannot move to the new column in two phases: drop it in a plain migration first and add it again after `rookery complete` (ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT)",
    );
    expect(error).toContain(
      "line 3: column parents.label is used by view labels, which cannot move to the new column in two phases: drop it in a plain migration before this one and create it again after `rookery complete`",
    );
    // Else the backfill ran and complete failed: the old column cannot be dropped while the generated column is computed from it.
    expect(error).toContain(
      "line 3: column parents.label is used by generated column shout, which cannot move to the new column in two phases: drop it in a plain migration before this one and add it again after `rookery complete`",
    );
    expect(await query(url, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'parents' AND column_name LIKE '_rookery%'")).toEqual([{ n: 0 }]);
  });
});

describe("ALTER COLUMN TYPE beside a DROP COLUMN of the same table, an index and a check over both", async () => {
  const url = await createTestDatabase("exp-type-and-drop");
  await query(
    url,
    `CREATE TABLE events (id bigint PRIMARY KEY, starts integer NOT NULL, legacy integer, CONSTRAINT legacy_before CHECK (legacy < starts));
     CREATE INDEX events_both ON events (legacy, starts); CREATE INDEX events_starts ON events (starts);
     INSERT INTO events SELECT g, g + 1, g FROM generate_series(1, 300) g`,
  );
  // The drop comes first in the file; complete still renames the copies before the drop takes what covers both.
  const dir = migrationsFolder({
    "2025_12_01/001_starts_bigint.sql": "-- rookery:expand-contract\nALTER TABLE events DROP COLUMN legacy;\nALTER TABLE events ALTER COLUMN starts TYPE bigint;\n",
  });

  it("completes: what covered the dropped column is gone, the rest has its name over the new type", async () => {
    const environment = testEnvironment(url);
    expect((await applyMigrations(runContext(environment, dir), { versions: [VERSION] })).failed).toBeUndefined();
    await completeExpansion(runContext(environment, dir), { version: VERSION });
    expect(await query(url, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'events' ORDER BY indexname")).toEqual([
      { indexname: "events_pkey", indexdef: "CREATE UNIQUE INDEX events_pkey ON public.events USING btree (id)" },
      { indexname: "events_starts", indexdef: "CREATE INDEX events_starts ON public.events USING btree (starts)" },
    ]);
    expect(await query(url, "SELECT conname FROM pg_constraint WHERE conrelid = 'events'::regclass ORDER BY conname")).toEqual([{ conname: "events_pkey" }]);
    expect(await query(url, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'events' ORDER BY ordinal_position")).toEqual([
      { column_name: "id", data_type: "bigint" },
      { column_name: "starts", data_type: "bigint" },
    ]);
  });
});

describe("ALTER COLUMN TYPE of a serial primary key no other table references", async () => {
  const url = await createTestDatabase("exp-type-pkey");
  await query(url, "CREATE TABLE tickets (id serial PRIMARY KEY, title text); INSERT INTO tickets (title) SELECT 't' || g FROM generate_series(1, 700) g");
  const dir = migrationsFolder({ "2025_12_01/001_id_bigint.sql": "-- rookery:expand-contract\nALTER TABLE tickets ALTER COLUMN id TYPE bigint;\n" });
  const environment = testEnvironment(url, { backfillBatchSize: 250 });
  const before = await schemaOf(url);
  const key = () => query(url, "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'tickets'::regclass AND contype = 'p'");

  it("expands with a unique copy of the key on the new column, and the new release inserts with the sequence", async () => {
    expect((await applyMigrations(runContext(environment, dir), { versions: [VERSION] })).failed).toBeUndefined();
    expect(await query(url, "SELECT indexdef FROM pg_indexes WHERE indexname = '_rookery_tickets_pkey'")).toEqual([
      { indexdef: "CREATE UNIQUE INDEX _rookery_tickets_pkey ON public.tickets USING btree (_rookery_id)" },
    ]);
    // The new release's insert takes its id from the sequence (a sequence may leave gaps: the old column's default draws too).
    const [inserted] = await queryAs<{ id: string }>(url, NEW, "INSERT INTO tickets (title) VALUES ('new') RETURNING id");
    expect(Number(inserted!.id)).toBeGreaterThan(700);
    expect(await query(url, "SELECT title FROM tickets WHERE id = $1", [inserted!.id])).toEqual([{ title: "new" }]);
    await expect(queryAs(url, NEW, "INSERT INTO tickets (id, title) VALUES (5, 'dup')")).rejects.toThrow(/duplicate key value/);
  });

  it("aborts back to exactly the old schema", async () => {
    await rollbackMigration(runContext(environment, dir), { version: VERSION, reason: "again" });
    expect(compareSnapshots(before, await schemaOf(url), "after abort")).toEqual([]);
  });

  it("completes: the primary key is the copy, under its name, on the bigint column that owns the sequence", async () => {
    expect((await applyMigrations(runContext(environment, dir), { versions: [VERSION] })).failed).toBeUndefined();
    await completeExpansion(runContext(environment, dir), { version: VERSION });
    expect(await key()).toEqual([{ conname: "tickets_pkey", def: "PRIMARY KEY (id)" }]);
    expect(await query(url, "SELECT data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'tickets' AND column_name = 'id'")).toEqual([
      { data_type: "bigint", is_nullable: "NO" },
    ]);
    expect(await query(url, "SELECT pg_get_serial_sequence('tickets', 'id') AS seq")).toEqual([{ seq: "public.tickets_id_seq" }]);
    const [after] = await query<{ id: string }>(url, "INSERT INTO tickets (title) VALUES ('after') RETURNING id");
    expect(Number(after!.id)).toBeGreaterThan(701);
  });
});

// Each column's change copied the index as _rookery_<name>: the second build failed after the whole backfill
// (relation "_rookery_pairs_ab" already exists), and every resume failed the same way.
describe("ALTER COLUMN TYPE of two columns one index and one check cover", async () => {
  const url = await createTestDatabase("exp-type-shared");
  await query(url, "CREATE TABLE pairs (id bigint PRIMARY KEY, a integer, b integer, CONSTRAINT a_below_b CHECK (a < b)); CREATE INDEX pairs_ab ON pairs (a, b)");
  const dir = migrationsFolder({
    "2025_12_01/001_widen.sql": "-- rookery:expand-contract\nALTER TABLE pairs ALTER COLUMN a TYPE bigint;\nALTER TABLE pairs ALTER COLUMN b TYPE bigint;\n",
  });

  it("is refused before any DDL, naming the index, the check and the way", async () => {
    const report = await applyMigrations(runContext(testEnvironment(url), dir), { versions: [VERSION] });
    const error = report.failed?.error ?? "";
    expect(error).toContain(
      "line 3: index pairs_ab covers both pairs.a and pairs.b, whose types this file changes; it cannot be copied onto both new columns in one expansion: change them in two expand-contract migrations",
    );
    expect(error).toContain("line 3: check a_below_b covers both pairs.a and pairs.b");
    expect(await query(url, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'pairs' AND column_name LIKE '_rookery%'")).toEqual([{ n: 0 }]);
  });
});
