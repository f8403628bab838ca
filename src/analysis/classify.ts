import type { Statement } from "./parse.ts";
import { alterTableCommands, relationOf, tableKey } from "./tree.ts";
import { riskiest } from "./migration-types.ts";
import type { MigrationType } from "./types.ts";

const DATA_ONLY = new Set([
  "InsertStmt",
  "UpdateStmt",
  "DeleteStmt",
  "MergeStmt",
  "SelectStmt",
  "CopyStmt",
  "VariableSetStmt",
  "TransactionStmt",
  "VacuumStmt",
  "AnalyzeStmt",
  "ClusterStmt",
  "LockStmt",
  "NotifyStmt",
  "RefreshMatViewStmt",
  "CallStmt",
]);

/**
 * Settings that change which objects a name means, as whom statements run, or whether triggers and
 * foreign keys fire: a SET of one changes what the statements after it do to the schema.
 */
const SCHEMA_CHANGING_SETTINGS = new Set(["search_path", "role", "session_authorization", "session_replication_role"]);

/** Statements that add an object and touch nothing that exists, unless they replace one (`OR REPLACE`). */
const ADDING = new Set([
  "CreateStmt",
  "CreateTableAsStmt",
  "IndexStmt",
  "CreateSeqStmt",
  "ViewStmt",
  "CreateFunctionStmt",
  "CreateSchemaStmt",
  "CreateExtensionStmt",
  "CreateEnumStmt",
  "CompositeTypeStmt",
  "CreateDomainStmt",
  "CreateRangeStmt",
  "CreateTrigStmt",
  "CreatePolicyStmt",
  "CreateRoleStmt",
  "CommentStmt",
  "RuleStmt",
  "CreateStatsStmt",
]);

/** Sub-commands of ALTER TABLE that only add: a new column, a new index. */
const ADDING_COMMANDS = new Set(["AT_AddColumn", "AT_AddIndex"]);
const DELETING_COMMANDS = new Set(["AT_DropColumn"]);

/** Changing a table created in the same file modifies nothing anyone uses yet: it is part of adding it. */
function alterTableType(statement: Statement, newTables: ReadonlySet<string>): MigrationType {
  const commands = alterTableCommands(statement);
  if (commands.length === 0) return "DDL Modify";
  const changing: MigrationType = newTables.has(tableKey(relationOf(statement))) ? "DDL Add" : "DDL Modify";
  return riskiest(
    commands.map((cmd) => (ADDING_COMMANDS.has(cmd.subtype) ? "DDL Add" : DELETING_COMMANDS.has(cmd.subtype) ? "DDL Delete" : changing)),
  );
}

/**
 * The document's type of one statement. Anything not known to be harmless counts as
 * `DDL Modify` (a `DO` block, an `ALTER ...`): unknown is never treated as safe.
 */
export function statementType(statement: Statement, newTables: ReadonlySet<string> = new Set()): MigrationType {
  const { kind, node } = statement;
  if (kind === "VariableSetStmt" && SCHEMA_CHANGING_SETTINGS.has(String(node.name))) return "DDL Modify";
  if (DATA_ONLY.has(kind)) return "Data-only";
  if (kind === "DropStmt" || kind === "TruncateStmt" || kind === "DropRoleStmt" || kind === "DropOwnedStmt") return "DDL Delete";
  if (kind === "AlterTableStmt") return alterTableType(statement, newTables);
  if (ADDING.has(kind)) return node.replace === true ? "DDL Modify" : "DDL Add";
  return "DDL Modify";
}

export function migrationType(statements: readonly Statement[], newTables: ReadonlySet<string> = new Set()): MigrationType {
  return riskiest(statements.map((statement) => statementType(statement, newTables)));
}

/** Tables a file creates: indexing, constraining or filling them cannot block anyone. */
export function createdTables(statements: readonly Statement[]): Set<string> {
  return new Set(
    statements
      .filter((statement) => statement.kind === "CreateStmt" || statement.kind === "CreateTableAsStmt")
      .map((statement) => tableKey(relationOf(statement) ?? (statement.node.into as { rel?: object } | undefined)?.rel)),
  );
}
