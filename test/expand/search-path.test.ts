import { describe, expect, it } from "vitest";
import { migrationsFolder, rookery } from "../support/cli.ts";
import { configFile } from "../support/config-file.ts";
import { queryAs } from "../support/expand.ts";
import { createTestDatabase, query } from "../support/services.ts";

const VERSION = "20251201_000001";

describe("the new release's search_path, as `rookery schema` prints it, reaches nothing the version drops or renames", async () => {
  const url = await createTestDatabase("exp-search-path");
  await query(
    url,
    `CREATE TABLE sessions_legacy (id bigint PRIMARY KEY, token text); INSERT INTO sessions_legacy VALUES (1, 't');
     CREATE TABLE clients (id bigint PRIMARY KEY, name text); INSERT INTO clients VALUES (1, 'a');
     CREATE TABLE posts (id bigint PRIMARY KEY, title text, legacy_code text); INSERT INTO posts VALUES (1, 'p', 'L');
     CREATE TABLE keep (id bigint PRIMARY KEY); CREATE SEQUENCE ticket_seq; CREATE TYPE mood AS ENUM ('happy', 'sad');
     CREATE FUNCTION twice(n int) RETURNS int LANGUAGE sql AS 'SELECT n * 2'`,
  );
  const dir = migrationsFolder({
    "2025_12_01/001_gone.sql": "-- rookery:expand-contract\nDROP TABLE sessions_legacy;\nALTER TABLE clients RENAME TO customers;\nALTER TABLE posts DROP COLUMN legacy_code;\n",
  });
  const env = { ROOKERY_CONFIG: configFile({ production: { databaseUrl: url } }), MIGRATIONS_DIR: dir };
  let searchPath = "";
  const asNew = (sql: string) => queryAs(url, searchPath, sql);

  it("expanded: the dropped table and the renamed table's old name fail with an error naming the version; the rest of public works", async () => {
    expect((await rookery(["apply", VERSION], env)).code).toBe(0);
    const schema = await rookery(["schema", VERSION], env);
    expect(schema).toMatchObject({ code: 0, stdout: `rookery_${VERSION}\n` });
    searchPath = `${schema.stdout.trim()},public`;

    const dropped = /relation "sessions_legacy" is dropped by version 20251201_000001/;
    for (const sql of ["SELECT * FROM sessions_legacy", "SELECT token FROM sessions_legacy WHERE id = 1", "INSERT INTO sessions_legacy VALUES (2, 'u')", "UPDATE sessions_legacy SET token = 'v'", "DELETE FROM sessions_legacy"]) {
      await expect(asNew(sql), sql).rejects.toThrow(dropped);
    }
    await expect(asNew("SELECT count(*) FROM sessions_legacy")).rejects.toMatchObject({ code: "42P01" });
    await expect(asNew("SELECT name FROM clients")).rejects.toThrow(/relation "clients" is renamed to "customers" by version 20251201_000001/);
    await expect(asNew("INSERT INTO clients VALUES (2, 'b')")).rejects.toThrow(/renamed to "customers"/);
    await expect(asNew("SELECT legacy_code FROM posts")).rejects.toThrow(/column "legacy_code" does not exist/);

    // What the version keeps, and everything it does not touch, through public: tables, sequences, types, functions.
    expect(await asNew("SELECT name FROM customers")).toEqual([{ name: "a" }]);
    expect(await asNew("SELECT title FROM posts")).toEqual([{ title: "p" }]);
    expect(await asNew("SELECT count(*)::int AS n FROM keep")).toEqual([{ n: 0 }]);
    expect(await asNew("SELECT nextval('ticket_seq')::int AS n, twice(21) AS t, 'sad'::mood::text AS m")).toEqual([{ n: 1, t: 42, m: "sad" }]);

    // The old release, without the version's schema, still has all of it.
    await query(url, "INSERT INTO sessions_legacy VALUES (2, 'u'); INSERT INTO clients VALUES (2, 'b')");
    expect(await query(url, "SELECT count(*)::int AS n FROM sessions_legacy")).toEqual([{ n: 2 }]);
    expect(await query(url, "SELECT legacy_code FROM posts")).toEqual([{ legacy_code: "L" }]);
  });

  it("completed: the names are gone from the tables, and the version's schema keeps no stand-in", async () => {
    expect((await rookery(["complete", VERSION], env)).code).toBe(0);
    await expect(asNew("SELECT * FROM sessions_legacy")).rejects.toThrow(/relation "sessions_legacy" does not exist/);
    await expect(asNew("SELECT * FROM clients")).rejects.toThrow(/relation "clients" does not exist/);
    expect(await asNew("SELECT count(*)::int AS n FROM customers")).toEqual([{ n: 2 }]);
  });
});

describe("tables of one name in two schemas in one expand-contract file", async () => {
  const url = await createTestDatabase("exp-same-name");
  await query(url, "CREATE SCHEMA tenant_a; CREATE TABLE tenant_a.items (id bigint PRIMARY KEY, n int); CREATE TABLE public.items (id bigint PRIMARY KEY, n int)");
  const dir = migrationsFolder({
    "2025_12_01/001_items.sql": "-- rookery:expand-contract\nALTER TABLE tenant_a.items RENAME COLUMN n TO a_n;\nALTER TABLE public.items RENAME COLUMN n TO p_n;\n",
  });
  const env = { ROOKERY_CONFIG: configFile({ production: { databaseUrl: url } }), MIGRATIONS_DIR: dir };

  // Else the version's schema had one view items, the second table's: the first's new shape was gone without a word.
  it("is refused before anything runs, naming both: the version's schema has one view per name", async () => {
    const apply = await rookery(["apply", VERSION], env);
    expect(apply.code).toBe(2);
    expect(apply.stderr).toContain(
      "line 3: tenant_a.items and public.items would both be items in the version's schema, which has one view per name: expand them in separate migrations",
    );
    expect(await query(url, "SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1", [`rookery_${VERSION}`])).toEqual([{ n: 0 }]);
  });
});
