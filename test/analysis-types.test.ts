import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeMigration, analyzeSql, loadParser, MIGRATION_TYPES } from "../src/analysis/index.ts";
import { readCatalog } from "../src/catalog/index.ts";

beforeAll(() => loadParser());

const repositoryMigrations = () => readCatalog(path.resolve(import.meta.dirname, "../migrations"));

describe("migration types", () => {
  it("classifies the document's own statements as its four types, with its downtime, strategy and rollback complexity", () => {
    // Statements copied from the design document (schema versioning and rollback sections).
    const dataOnly = analyzeSql(
      "INSERT INTO schema_version (current_version, applied_by)\nVALUES ('20251101_000000', 'system');\n" +
        "UPDATE schema_migrations SET status = 'rolled_back', applied_at = NOW(), applied_by = current_user WHERE version = '20251101_143000';",
      "data.sql",
    );
    expect(dataOnly.type).toBe("Data-only");
    expect(dataOnly.typeInfo).toEqual({ downtime: "Zero", strategy: "Online migration", rollbackComplexity: "Simple", useCase: "Data updates, cleanup" });

    const add = analyzeSql(
      `CREATE TABLE migration_events (
    id BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    migration_type VARCHAR(50),
    affected_tenants INTEGER,
    tenant_context UUID,
    executed_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    success BOOLEAN DEFAULT TRUE,
    error_message TEXT
);`,
      "add.sql",
    );
    expect(add.type).toBe("DDL Add");
    expect(add.typeInfo).toMatchObject({ downtime: "Minimal", strategy: "Deploy-first approach", rollbackComplexity: "Simple" });

    const modify = analyzeSql(
      "CREATE OR REPLACE VIEW migration_health AS\nSELECT version, description, applied_at, status FROM schema_migrations;",
      "modify.sql",
    );
    expect(modify.type).toBe("DDL Modify");
    expect(modify.typeInfo).toMatchObject({ downtime: "Variable", strategy: "Blue-green deployment", rollbackComplexity: "Complex" });

    const remove = analyzeSql("ALTER TABLE schema_migrations DROP COLUMN rollback_script;", "delete.sql");
    expect(remove.type).toBe("DDL Delete");
    expect(remove.typeInfo).toMatchObject({ downtime: "High", strategy: "Deprecation-first approach", rollbackComplexity: "High Risk" });
  });

  it("classifies the repository's example migrations, and their rollbacks as DDL Delete", () => {
    const catalog = repositoryMigrations();
    const types = Object.fromEntries(catalog.migrations.map((migration) => [migration.path, analyzeMigration(migration).type]));
    expect(types).toMatchObject({
      "2025_11_01/000_base_schema.sql": "DDL Add",
      "2025_11_01/001_create_connection_pool_tables.sql": "DDL Add",
      "2025_11_01/002_add_performance_indexes.sql": "DDL Add",
      // ENABLE ROW LEVEL SECURITY changes who sees rows of tables in use.
      "2025_11_02/003_enhance_security_policies.sql": "DDL Modify",
      // The same ALTER on a table created in the file is part of adding it.
      "2025_11_03/004_optimize_content_storage.sql": "DDL Add",
    });
    const rollback = catalog.migrations[0]!.rollback!;
    expect(analyzeSql(rollback.sql, rollback.path).type).toBe("DDL Delete");
  });

  it("takes the riskiest statement's type and gives every statement its own", () => {
    const analysis = analyzeSql(
      "UPDATE users SET plan = 'free' WHERE plan IS NULL;\nALTER TABLE users ADD COLUMN note text;\nALTER TABLE users ALTER COLUMN plan SET DEFAULT 'free';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_plan_idx ON users (plan);",
      "mixed.sql",
    );
    expect(analysis.type).toBe("DDL Modify");
    expect(analysis.statements).toEqual([
      { kind: "UpdateStmt", line: 1, type: "Data-only", nonTransactional: false },
      { kind: "AlterTableStmt", line: 2, type: "DDL Add", nonTransactional: false },
      { kind: "AlterTableStmt", line: 3, type: "DDL Modify", nonTransactional: false },
      { kind: "IndexStmt", line: 4, type: "DDL Add", nonTransactional: true },
    ]);
  });

  it("does not call a file Data-only when it changes search_path, the role or session_replication_role", () => {
    expect(analyzeSql("SET search_path = billing, public;\nUPDATE invoices SET paid = true WHERE id = 1;", "path.sql").type).toBe("DDL Modify");
    expect(analyzeSql("SET LOCAL ROLE app_owner;\nINSERT INTO t VALUES (1);", "role.sql").type).toBe("DDL Modify");
    expect(analyzeSql("SET LOCAL session_replication_role = replica;\nDELETE FROM t WHERE id = 1;", "replica.sql").type).toBe("DDL Modify");
    expect(analyzeSql("SET LOCAL statement_timeout = '5s';\nUPDATE t SET n = 1 WHERE id = 1;", "timeout.sql").type).toBe("Data-only");
  });

  it("keeps the document's table of the four types", () => {
    expect(Object.keys(MIGRATION_TYPES)).toEqual(["Data-only", "DDL Add", "DDL Modify", "DDL Delete"]);
  });

  it("finds nothing to object to in the repository's example migrations", () => {
    const findings = repositoryMigrations().migrations.flatMap((migration) => analyzeMigration(migration).findings);
    expect(findings).toEqual([]);
  });
});
