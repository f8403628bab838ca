import { expect } from "vitest";
import { expandContractStory } from "../support/expand.ts";

expandContractStory("ADD COLUMN NOT NULL under expand-contract, filled by a backfill expression", {
  setup: "CREATE TABLE people (id bigint PRIMARY KEY, email text NOT NULL); INSERT INTO people SELECT g, 'User' || g || '@X.org' FROM generate_series(1, 250) g",
  migration: "-- rookery:expand-contract\n-- rookery:backfill email_lower = lower(email)\nALTER TABLE people ADD COLUMN email_lower text NOT NULL;\n",
  async whileExpanded(shapes) {
    expect(await shapes.new("SELECT email_lower FROM people WHERE id = 7")).toEqual([{ email_lower: "user7@x.org" }]);
    // The old release does not know the column: its writes get it computed.
    await shapes.old("INSERT INTO people (id, email) VALUES (1001, 'New@X.org')");
    await shapes.old("UPDATE people SET email = 'Changed@X.org', email_lower = NULL WHERE id = 1");
    await shapes.new("INSERT INTO people (id, email, email_lower) VALUES (1002, 'b@x', 'b@x')");
    expect(await shapes.new("SELECT id, email_lower FROM people WHERE id IN (1, 1001) ORDER BY id")).toEqual([
      { id: "1", email_lower: "changed@x.org" },
      { id: "1001", email_lower: "new@x.org" },
    ]);
    expect(await shapes.old("SELECT email FROM people WHERE id = 1002")).toEqual([{ email: "b@x" }]);
  },
  async afterAbort(shapes) {
    expect(await shapes.old("SELECT count(*)::int AS n FROM people")).toEqual([{ n: 252 }]);
  },
  async afterComplete(shapes) {
    expect(await shapes.old("SELECT is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'people' AND column_name = 'email_lower'")).toEqual([{ is_nullable: "NO" }]);
    expect(await shapes.new("SELECT count(*)::int AS n FROM people WHERE email_lower IS NULL")).toEqual([{ n: 0 }]);
  },
});

expandContractStory("ADD COLUMN NOT NULL DEFAULT under expand-contract", {
  setup: "CREATE TABLE items (id bigint PRIMARY KEY, name text); INSERT INTO items SELECT g, 'i' || g FROM generate_series(1, 50) g",
  migration: "-- rookery:expand-contract\nALTER TABLE items ADD COLUMN stock integer NOT NULL DEFAULT 0;\n",
  async whileExpanded(shapes) {
    await shapes.old("INSERT INTO items (id, name) VALUES (1001, 'old')");
    await shapes.new("INSERT INTO items (id, name, stock) VALUES (1002, 'new', 5)");
    expect(await shapes.new("SELECT id, stock FROM items WHERE id IN (1, 1001, 1002) ORDER BY id")).toEqual([
      { id: "1", stock: 0 },
      { id: "1001", stock: 0 },
      { id: "1002", stock: 5 },
    ]);
    expect(await shapes.old("SELECT name FROM items WHERE id = 1002")).toEqual([{ name: "new" }]);
  },
  async afterAbort(shapes) {
    expect(await shapes.old("SELECT count(*)::int AS n FROM items")).toEqual([{ n: 52 }]);
  },
  async afterComplete(shapes) {
    expect(await shapes.old("SELECT stock FROM items WHERE id = 1")).toEqual([{ stock: 0 }]);
  },
});

expandContractStory("ADD COLUMN NOT NULL on a table with a two-column key: the backfill pages by both", {
  setup: "CREATE TABLE lines (order_id bigint, line integer, qty integer NOT NULL, PRIMARY KEY (order_id, line)); INSERT INTO lines SELECT g / 10, g % 10, g FROM generate_series(1, 450) g",
  migration: "-- rookery:expand-contract\n-- rookery:backfill total = qty * 2\nALTER TABLE lines ADD COLUMN total bigint NOT NULL;\n",
  async whileExpanded(shapes) {
    expect(await shapes.new("SELECT count(*)::int AS n, sum(total - qty * 2)::int AS off FROM lines")).toEqual([{ n: 450, off: 0 }]);
    await shapes.old("INSERT INTO lines VALUES (1000, 1, 5)");
    expect(await shapes.new("SELECT total FROM lines WHERE order_id = 1000")).toEqual([{ total: "10" }]);
  },
  async afterAbort(shapes) {
    expect(await shapes.old("SELECT count(*)::int AS n FROM lines")).toEqual([{ n: 451 }]);
  },
  async afterComplete(shapes) {
    expect(await shapes.old("SELECT count(*)::int AS n FROM lines WHERE total IS NULL")).toEqual([{ n: 0 }]);
  },
});

// Added as written, a volatile default rewrote every row under ACCESS EXCLUSIVE (the table's file changed); it is
// set for new rows and fills the existing ones in batches, each its own value.
expandContractStory("ADD COLUMN with a volatile DEFAULT under expand-contract: no rewrite, existing rows filled in batches", {
  setup: `CREATE TABLE visits (id bigint PRIMARY KEY, path text); INSERT INTO visits SELECT g, '/p' || g FROM generate_series(1, 250) g;
          CREATE TABLE file_before AS SELECT pg_relation_filenode('visits') AS node`,
  migration:
    "-- rookery:expand-contract\nALTER TABLE visits ADD COLUMN ext_id uuid NOT NULL DEFAULT gen_random_uuid();\n" +
    "ALTER TABLE visits ADD COLUMN seen timestamptz DEFAULT clock_timestamp();\n",
  async whileExpanded(shapes) {
    expect(await shapes.old("SELECT pg_relation_filenode('visits') = node AS same FROM file_before")).toEqual([{ same: true }]);
    await shapes.old("INSERT INTO visits (id, path) VALUES (1001, '/old')");
    await shapes.new("INSERT INTO visits (id, path) VALUES (1002, '/new')");
    expect(await shapes.new("SELECT count(*)::int AS n, count(DISTINCT ext_id)::int AS ids, count(seen)::int AS seen FROM visits")).toEqual([{ n: 252, ids: 252, seen: 252 }]);
  },
  async afterAbort(shapes) {
    expect(await shapes.old("SELECT count(*)::int AS n FROM visits")).toEqual([{ n: 252 }]);
  },
  async afterComplete(shapes) {
    expect(await shapes.old("SELECT pg_relation_filenode('visits') = node AS same FROM file_before")).toEqual([{ same: true }]);
    expect(
      await shapes.old("SELECT column_name, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'visits' AND column_name IN ('ext_id', 'seen') ORDER BY column_name"),
    ).toEqual([
      { column_name: "ext_id", is_nullable: "NO", column_default: "gen_random_uuid()" },
      { column_name: "seen", is_nullable: "YES", column_default: "clock_timestamp()" },
    ]);
  },
});
