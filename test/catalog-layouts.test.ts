import { describe, expect, it } from "vitest";
import { CatalogError, readCatalog, versionFromDotted, versionFromNumber } from "../src/catalog/index.ts";
import { UsageError } from "../src/errors.ts";
import { applyMigrations, rollbackMigration } from "../src/runner/index.ts";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { columnsOf, ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase } from "./support/services.ts";

function problemsOf(dir: string, layout?: Parameters<typeof readCatalog>[1]): string[] {
  try {
    readCatalog(dir, layout);
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogError);
    return (error as CatalogError).problems;
  }
  throw new Error("expected a catalog error");
}

const summary = (dir: string) =>
  readCatalog(dir).migrations.map((migration) => [migration.version, migration.origin.version, migration.path, migration.rollback?.sql ?? null]);

describe("other tools' layouts, read in place", () => {
  it("golang-migrate: NNN_name.up.sql with its .down.sql; sequence numbers and timestamps map onto YYYYMMDD_HHMMSS", () => {
    const dir = migrationsFolder({
      "000001_create_users.up.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
      "000001_create_users.down.sql": "DROP TABLE users;\n",
      "000042_add_email.up.sql": "ALTER TABLE users ADD COLUMN email text;\n",
      "000042_add_email.down.sql": "",
      "20240315093000_add_name.up.sql": "ALTER TABLE users ADD COLUMN name text;\n",
    });
    const catalog = readCatalog(dir);
    expect(catalog.layout).toBe("golang-migrate");
    expect(summary(dir)).toEqual([
      ["00000000_000001", "000001", "000001_create_users.up.sql", "DROP TABLE users;\n"],
      ["00000000_000042", "000042", "000042_add_email.up.sql", ""],
      ["20240315_093000", "20240315093000", "20240315093000_add_name.up.sql", null],
    ]);
    expect(catalog.byVersion.get("00000000_000042")!.rollback!.nothingToUndo).toBe(true);
    expect(catalog.byVersion.get("00000000_000001")!.description).toBe("Create users");
  });

  it("Flyway: V<version>__desc.sql with U<version>__desc.sql; dotted versions keep their order", () => {
    const dir = migrationsFolder({
      "sql/V1__create_users.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
      "sql/U1__create_users.sql": "DROP TABLE users;\n",
      "sql/V1.1__add_email.sql": "ALTER TABLE users ADD COLUMN email text;\n",
      "sql/V1.10__add_name.sql": "ALTER TABLE users ADD COLUMN name text;\n",
      "sql/V1.2__add_phone.sql": "ALTER TABLE users ADD COLUMN phone text;\n",
      "sql/V2__add_index.sql": "CREATE INDEX users_email ON users (email);\n",
    });
    expect(readCatalog(dir).layout).toBe("flyway");
    expect(summary(dir).map(([version, source]) => [version, source])).toEqual([
      ["00000001_000000", "1"],
      ["00000001_001000", "1.1"],
      ["00000001_002000", "1.2"],
      ["00000001_010000", "1.10"],
      ["00000002_000000", "2"],
    ]);
    expect(readCatalog(dir).byVersion.get("00000001_000000")!.rollback?.path).toBe("sql/U1__create_users.sql");
  });

  it("dbmate and goose: both directions in one file, split at their markers", () => {
    const dbmate = migrationsFolder({
      "20240101120000_create_users.sql": "-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE users;\n",
      "20240102120000_seed.sql": "-- migrate:up transaction:false\nSELECT 1;\n",
    });
    expect(readCatalog(dbmate).layout).toBe("dbmate");
    expect(summary(dbmate)).toEqual([
      ["20240101_120000", "20240101120000", "20240101120000_create_users.sql", "DROP TABLE users;\n"],
      ["20240102_120000", "20240102120000", "20240102120000_seed.sql", null],
    ]);
    expect(readCatalog(dbmate).migrations[0]!.sql).toBe("-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY);\n");
    const goose = migrationsFolder({
      "00001_create_users.sql": "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE users (id bigint PRIMARY KEY);\n-- +goose StatementEnd\n-- +goose Down\nDROP TABLE users;\n",
    });
    expect(readCatalog(goose).layout).toBe("goose");
    expect(summary(goose)[0]!.slice(0, 2)).toEqual(["00000000_000001", "00001"]);
  });

  it("a folder that mixes layouts is refused with an example of each, unless a layout is chosen", () => {
    const dir = migrationsFolder({
      "2025_11_01/001_create_users.sql": "CREATE TABLE users (id bigint);\n",
      "000002_add_email.up.sql": "ALTER TABLE users ADD COLUMN email text;\n",
      "V3__add_name.sql": "ALTER TABLE users ADD COLUMN name text;\n",
    });
    expect(() => readCatalog(dir)).toThrow(UsageError);
    const message = (() => {
      try {
        readCatalog(dir);
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain("mixes layouts");
    for (const part of ["1 rookery file(s) (e.g. 2025_11_01/001_create_users.sql)", "1 golang-migrate file(s) (e.g. 000002_add_email.up.sql)", "1 flyway file(s) (e.g. V3__add_name.sql)"]) {
      expect(message).toContain(part);
    }
    const problems = problemsOf(dir, "golang-migrate");
    expect(problems).toHaveLength(2);
    expect(problems.join("\n")).toMatch(/V3__add_name\.sql: not a golang-migrate file/);
  });

  it("names both files of a collision, each problem once, and versions that map onto nothing", () => {
    const problems = problemsOf(
      migrationsFolder({
        "1_a.up.sql": "SELECT 1;",
        "0001_b.up.sql": "SELECT 2;",
        "20240101120000_c.up.sql": "SELECT 3;",
        "20240101120000123_d.up.sql": "SELECT 4;",
        "123456789012_e.up.sql": "SELECT 5;",
        "123456789012_e.down.sql": "SELECT 5;",
        "7_gone.down.sql": "SELECT 6;",
      }),
    );
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toMatch(/1_a\.up\.sql: version 1 is already used by 0001_b\.up\.sql|0001_b\.up\.sql: version 0001 is already used by 1_a\.up\.sql/);
    expect(problems.join("\n")).toMatch(/20240101120000123_d\.up\.sql: version 20240101_120000 \(20240101120000123 maps onto it\) is already used by 20240101120000_c\.up\.sql/);
    expect(problems.filter((problem) => problem.includes("123456789012_e"))).toEqual([
      expect.stringMatching(/123456789012_e\.up\.sql: version 123456789012 maps onto no YYYYMMDD_HHMMSS/),
    ]);
    expect(problems.join("\n")).toMatch(/7_gone\.down\.sql: a down file without its up file/);
  });

  it("reads a history of 20-digit versions (timestamp and sequence, day 00 included) in order, and names a mapping that reorders files", () => {
    const dir = migrationsFolder({
      "20191100000001000000_identities.up.sql": "CREATE TABLE identities (id uuid PRIMARY KEY);\n",
      "20191100000001000001_identities.up.sql": "CREATE INDEX identities_id ON identities (id);\n",
      "20191100000002000000_requests.up.sql": "CREATE TABLE requests (id uuid PRIMARY KEY);\n",
      "20210410175418000089_network.up.sql": "SELECT 1;\n",
    });
    expect(summary(dir).map(([version, source]) => [version, source])).toEqual([
      ["04985600_001000", "20191100000001000000"],
      ["04985600_001001", "20191100000001000001"],
      ["04985600_002000", "20191100000002000000"],
      ["05047464_458089", "20210410175418000089"],
    ]);
    const problems = problemsOf(
      migrationsFolder({ "20240101120000_a.up.sql": "SELECT 1;", "20240101120000000001_b.up.sql": "SELECT 2;" }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/20240101120000000001_b\.up\.sql: version 20240101120000000001 maps onto 05161743_200001, before 20240101120000_a\.up\.sql .* which runs first; renumber one of them/),
    ]);
  });

  it("maps every kind of version deterministically", () => {
    expect(versionFromNumber("000042")).toEqual({ version: "00000000_000042" });
    expect(versionFromNumber("42")).toEqual({ version: "00000000_000042" });
    expect(versionFromNumber("1700000000000")).toEqual({ version: "20231114_221320" });
    expect(versionFromNumber("20240229235959")).toEqual({ version: "20240229_235959" });
    expect(versionFromNumber("20240229235959123")).toEqual({ version: "20240229_235959" });
    // 20 digits: a timestamp and a sequence within that second, packed in order (day, second of day, sequence).
    expect(versionFromNumber("20240229235959000123")).toEqual({ version: "05167786_399123" });
    expect(versionFromNumber("20240229235959001000")).toHaveProperty("problem");
    expect(versionFromNumber("20191100000001000000")).toEqual({ version: "04985600_001000" });
    expect(versionFromNumber("20231301120000")).toHaveProperty("problem");
    expect(versionFromNumber("20240101250000")).toHaveProperty("problem");
    expect(versionFromNumber("123456789012345678901")).toHaveProperty("problem");
    expect(versionFromDotted("2.0.1")).toEqual({ version: "00000002_000001" });
    expect(versionFromDotted("1_1")).toEqual({ version: "00000001_001000" });
    expect(versionFromDotted("10000")).toHaveProperty("problem");
    expect(versionFromDotted("1.2.3.4")).toHaveProperty("problem");
    expect(versionFromDotted("20240101120000")).toEqual({ version: "20240101_120000" });
  });
});

describe("a golang-migrate history run in place", async () => {
  const url = await createTestDatabase("layouts");
  const dir = migrationsFolder({
    "000001_create_users.up.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    "000001_create_users.down.sql": "DROP TABLE users;\n",
    "000002_add_email.up.sql": "ALTER TABLE users ADD COLUMN email text;\n",
    "000002_add_email.down.sql": "ALTER TABLE users DROP COLUMN email;\n",
  });

  it("plan shows each file's version and the ledger version it maps onto", async () => {
    const run = await rookery(["plan"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/1\.\s+00000000_000001\s+000001 \(golang-migrate\)/);
    expect(run.stdout).toContain("FILE VERSION");
    const json = JSON.parse((await rookery(["plan", "--json"], { DATABASE_URL: url, MIGRATIONS_DIR: dir })).stdout);
    expect(json.steps.map((step: { origin: unknown }) => step.origin)).toEqual([
      { layout: "golang-migrate", version: "000001" },
      { layout: "golang-migrate", version: "000002" },
    ]);
  });

  it("applies and rolls back with the .down.sql stored at apply time", async () => {
    const environment = testEnvironment(url);
    const report = await applyMigrations(runContext(environment, dir));
    expect(report.applied.map((step) => step.version)).toEqual(["00000000_000001", "00000000_000002"]);
    expect(await columnsOf(url, "users")).toEqual(["id", "email"]);
    await rollbackMigration(runContext(environment, dir), { version: "00000000_000002", reason: "try the down file" });
    expect(await columnsOf(url, "users")).toEqual(["id"]);
    expect((await ledgerRows(url)).map((row) => [row.version, row.status])).toEqual([
      ["00000000_000001", "applied"],
      ["00000000_000002", "rolled_back"],
    ]);
    const rollback = await rookery(["rollback", "00000000_000001", "--reason", "sequence versions are typed as the ledger shows them"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    expect(rollback.code, rollback.stderr).toBe(0);
  });
});

describe("dbmate's transaction:false and goose's NO TRANSACTION", () => {
  it.each([
    ["dbmate", "20240101000000_mood.sql", "-- migrate:up\nCREATE TYPE mood AS ENUM ('sad');\nCREATE TABLE people (m mood);\n", "20240102000000_happy.sql", "-- migrate:up transaction:false\nALTER TYPE mood ADD VALUE 'happy';\nINSERT INTO people VALUES ('happy');\n-- migrate:down\n"],
    ["goose", "00001_mood.sql", "-- +goose Up\nCREATE TYPE mood AS ENUM ('sad');\nCREATE TABLE people (m mood);\n", "00002_happy.sql", "-- +goose NO TRANSACTION\n-- +goose Up\nALTER TYPE mood ADD VALUE 'happy';\nINSERT INTO people VALUES ('happy');\n-- +goose Down\n"],
  ])("%s: a file its tool runs outside a transaction runs outside one (a new enum value used in the same file)", async (layout, firstName, first, secondName, second) => {
    const url = await createTestDatabase(`layouts-no-transaction-${layout}`);
    const dir = migrationsFolder({ [firstName]: first, [secondName]: second });
    expect(readCatalog(dir).migrations.map((migration) => [migration.origin.layout, migration.noTransaction])).toEqual([[layout, false], [layout, true]]);
    const plan = JSON.parse((await rookery(["plan", "--json"], { DATABASE_URL: url, MIGRATIONS_DIR: dir })).stdout);
    expect(plan.steps.map((step: { outsideTransaction: boolean }) => step.outsideTransaction)).toEqual([false, true]);
    // In a transaction: "unsafe use of new value "happy" of enum type mood".
    const report = await applyMigrations(runContext(testEnvironment(url), dir));
    expect(report.failed ?? null).toBeNull();
    expect(report.applied.map((step) => step.outsideTransaction)).toEqual([false, true]);
  });
});
