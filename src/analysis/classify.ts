import type { Statement } from "./parse.ts";
import { alterTableCommands } from "./tree.ts";
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

function alterTableType(statement: Statement): MigrationType {
  const commands = alterTableCommands(statement);
  if (commands.length === 0) return "DDL Modify";
  return riskiest(
    commands.map((cmd) =>
      ADDING_COMMANDS.has(cmd.subtype) ? "DDL Add" : DELETING_COMMANDS.has(cmd.subtype) ? "DDL Delete" : "DDL Modify",
    ),
  );
}

/**
 * The document's type of one statement. Anything not known to be harmless counts as
 * `DDL Modify` (a `DO` block, an `ALTER ...`): unknown is never treated as safe.
 */
export function statementType(statement: Statement): MigrationType {
  const { kind, node } = statement;
  if (DATA_ONLY.has(kind)) return "Data-only";
  if (kind === "DropStmt" || kind === "TruncateStmt" || kind === "DropRoleStmt" || kind === "DropOwnedStmt") return "DDL Delete";
  if (kind === "AlterTableStmt") return alterTableType(statement);
  if (ADDING.has(kind)) return node.replace === true ? "DDL Modify" : "DDL Add";
  return "DDL Modify";
}

export function migrationType(statements: readonly Statement[]): MigrationType {
  return riskiest(statements.map(statementType));
}
