import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { scratchFolder } from "./support/cli.ts";
import { CatalogError, checksumOf, parseVersion, readCatalog } from "../src/catalog/index.ts";
import { UsageError } from "../src/errors.ts";

function folder(files: Record<string, string>): string {
  const dir = scratchFolder();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function problemsOf(dir: string): string[] {
  try {
    readCatalog(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogError);
    return (error as CatalogError).problems;
  }
  throw new Error("expected a catalog error");
}

describe("catalog", () => {
  it("maps the document's layout to ledger versions, in version order, with rollbacks beside them", () => {
    const dir = folder({
      "2025_11_02/003_enhance_security_policies.sql": "ALTER TABLE t ENABLE ROW LEVEL SECURITY;",
      "2025_11_01/001_create_connection_pool_tables.sql": "-- description: Connection pool tables\nCREATE TABLE a (id bigint);",
      "2025_11_01/rollback_001_create_connection_pool_tables.sql": "DROP TABLE IF EXISTS a;",
      "2025_11_01/002_add_performance_indexes.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON a (id);",
      "hotfix/fix_tenant_names.sql": "-- version: 20251105_143000\n-- rookery:tenant-scoped\nUPDATE tenants SET name = trim(name) WHERE name <> trim(name);",
      "README.md": "not a migration",
    });
    const catalog = readCatalog(dir);
    expect(catalog.migrations.map((migration) => migration.version)).toEqual([
      "20251101_000001",
      "20251101_000002",
      "20251102_000003",
      "20251105_143000",
    ]);
    const first = catalog.byVersion.get("20251101_000001")!;
    expect(first.description).toBe("Connection pool tables");
    expect(first.rollback?.path).toBe("2025_11_01/rollback_001_create_connection_pool_tables.sql");
    expect(catalog.byVersion.get("20251101_000002")!.description).toBe("Add performance indexes");
    expect(catalog.byVersion.get("20251101_000002")!.rollback).toBeUndefined();
    expect(catalog.byVersion.get("20251105_143000")!.tenantScoped).toBe(true);
    expect(first.tenantScoped).toBe(false);
  });

  it("a Windows checkout of the same file has the same checksum", () => {
    const unix = readCatalog(folder({ "2025_11_01/001_a.sql": "CREATE TABLE a (id bigint);\nCREATE TABLE b (id bigint);\n" }));
    const windows = readCatalog(folder({ "2025_11_01/001_a.sql": "CREATE TABLE a (id bigint);\r\nCREATE TABLE b (id bigint);\r\n" }));
    expect(windows.migrations[0]!.checksum).toBe(unix.migrations[0]!.checksum);
    expect(unix.migrations[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(checksumOf("a\n")).not.toBe(checksumOf("a \n"));
  });

  it("lists every bad file at once, each by name", () => {
    const problems = problemsOf(
      folder({
        "2025_11_01/001_ok.sql": "CREATE TABLE ok (id bigint);",
        "2025_11_01/add-thing.sql": "CREATE TABLE thing (id bigint);",
        "2025_13_01/001_bad_month.sql": "CREATE TABLE m (id bigint);",
        "2025_11_01/0001_same_version.sql": "CREATE TABLE dup (id bigint);",
        "2025_11_01/rollback_009_gone.sql": "DROP TABLE IF EXISTS gone;",
        "x/bad_header.sql": "-- version: 2025-11-01\nSELECT 1;",
      }),
    );
    expect(problems).toHaveLength(5);
    expect(problems.join("\n")).toMatch(/2025_11_01\/add-thing\.sql: the name fits neither/);
    expect(problems.join("\n")).toMatch(/2025_13_01\/001_bad_month\.sql: the name fits neither/);
    const duplicate = problems.find((problem) => problem.includes("version 20251101_000001 is already used by"));
    expect(duplicate).toContain("0001_same_version.sql");
    expect(duplicate).toContain("001_ok.sql");
    expect(problems.join("\n")).toMatch(/rollback_009_gone\.sql: a rollback file without its migration/);
    expect(problems.join("\n")).toMatch(/x\/bad_header\.sql: "-- version: 2025-11-01" is not a version/);
  });

  it("takes empty and comment-only files as no-ops, and an empty rollback as nothing to undo", () => {
    const catalog = readCatalog(
      folder({
        "2025_11_01/001_mysql_only.sql": "-- this history also targets MySQL; nothing to do on Postgres\n/* block */\n",
        "2025_11_01/rollback_001_mysql_only.sql": "",
        "2025_11_01/002_empty.sql": "",
        "2025_11_01/003_real.sql": "CREATE TABLE r (id bigint);",
        "2025_11_01/rollback_003_real.sql": "-- keep the table: nothing to undo\n",
      }),
    );
    const [noOp, empty, real] = catalog.migrations;
    expect(catalog.migrations.map((migration) => [migration.version, migration.noOp])).toEqual([
      ["20251101_000001", true],
      ["20251101_000002", true],
      ["20251101_000003", false],
    ]);
    expect(noOp!.rollback).toMatchObject({ path: "2025_11_01/rollback_001_mysql_only.sql", nothingToUndo: true });
    expect(empty!.rollback).toBeUndefined();
    expect(real!.rollback).toMatchObject({ nothingToUndo: true });
  });

  it("reports each problem once with its own reason: a refused migration's rollback is not an orphan", () => {
    const problems = problemsOf(
      folder({
        "2025_11_01/001_ok.sql": "SELECT 1;",
        "2025_11_01/0001_dup.sql": "SELECT 2;",
        "2025_11_01/rollback_0001_dup.sql": "",
        "2025_11_01/bad-name.sql": "SELECT 3;",
        "2025_11_01/rollback_bad-name.sql": "",
        "2025_11_01/rollback_002_gone.sql": "",
      }),
    );
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toMatch(/version 20251101_000001 is already used by/);
    expect(problems.join("\n")).toMatch(/bad-name\.sql: the name fits neither/);
    expect(problems.join("\n")).toMatch(/rollback_002_gone\.sql: a rollback file without its migration \(002_gone\.sql is missing\)/);
  });

  it("a malformed version typed by a user is a usage error saying what a version looks like", () => {
    expect(parseVersion(" 20251101_000001 ")).toBe("20251101_000001");
    for (const text of ["2025-11-01", "20251101_0001", "20251301_000001", "'; DROP TABLE x; --"]) {
      expect(() => parseVersion(text)).toThrow(UsageError);
    }
    expect(() => parseVersion("abc")).toThrow(expect.objectContaining({ hint: expect.stringContaining("YYYYMMDD_HHMMSS") }));
  });

  it("a missing folder is a usage error naming it", () => {
    expect(() => readCatalog("/nonexistent/migrations")).toThrow(/\/nonexistent\/migrations does not exist/);
  });
});
