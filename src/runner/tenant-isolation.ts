import pg from "pg";
import type { Statement } from "../analysis/parse.ts";
import { findNodes, relationOf, tableName, type RangeVar } from "../analysis/tree.ts";
import type { Environment } from "../config/index.ts";
import { RookeryError } from "../errors.ts";
import type { Migration } from "./types.ts";

const DATA_CHANGES = new Set(["InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"]);

/** A statement that names the tenant setting itself picks its tenant's rows; the others rely on row level security. */
const NAMES_TENANT_SETTING = /app\.current_tenant_id/i;

/** Tables written or read by the file's data changes that do not filter on the tenant setting themselves. */
function tablesRelyingOnPolicies(statements: Statement[]): string[] {
  const names = statements
    .filter((statement) => DATA_CHANGES.has(statement.kind) && !NAMES_TENANT_SETTING.test(statement.sql))
    .flatMap((statement) => [relationOf(statement), ...(findNodes(statement.node, "RangeVar") as RangeVar[])])
    .filter((relation): relation is RangeVar => relation?.relname !== undefined)
    .map(tableName);
  return [...new Set(names)];
}

/** `SET LOCAL ROLE` for the environment's tenantRole, or nothing when the run keeps the connecting role. */
export function tenantRoleSql(environment: Environment): string {
  return environment.tenantRole ? `SET LOCAL ROLE ${pg.escapeIdentifier(environment.tenantRole)};` : "";
}

interface TableSecurity {
  name: string;
  relname: string;
  rls_enabled: boolean;
  active: boolean;
  role: string;
  superuser: boolean;
  bypassrls: boolean;
  owner: boolean;
}

function whyNotActive(table: TableSecurity): string {
  if (!table.rls_enabled) return `row level security is not enabled on ${table.relname}`;
  if (table.superuser) return `${table.role} is a superuser, and superusers bypass row level security`;
  if (table.bypassrls) return `${table.role} has BYPASSRLS`;
  if (table.owner) return `${table.role} owns ${table.relname} (or is a member of its owner) and FORCE ROW LEVEL SECURITY is off`;
  return `row level security is off for ${table.role} (row_security = off?)`;
}

/**
 * Before a tenant-scoped file runs: on every table its data changes rely on policies for, row level
 * security must really apply to the role that runs it (the environment's tenantRole, else the
 * connecting role). An owner, a BYPASSRLS role or a superuser sees every tenant's rows, and each of
 * the N tenant runs would change them all; the file is refused, saying why, before any tenant runs.
 */
export async function assertTenantIsolation(client: pg.ClientBase, environment: Environment, migration: Migration, statements: Statement[]): Promise<void> {
  const names = tablesRelyingOnPolicies(statements);
  if (names.length === 0) return;
  let tables: TableSecurity[];
  await client.query(`BEGIN; ${tenantRoleSql(environment)}`);
  try {
    ({ rows: tables } = await client.query<TableSecurity>(
      `SELECT n.name, c.relname, c.relrowsecurity AS rls_enabled, row_security_active(c.oid) AS active, current_user::text AS role,
              r.rolsuper AS superuser, r.rolbypassrls AS bypassrls, pg_has_role(current_user, c.relowner, 'USAGE') AS owner
       FROM unnest($1::text[]) AS n(name)
       JOIN pg_catalog.pg_class c ON c.oid = to_regclass(n.name)
       JOIN pg_catalog.pg_roles r ON r.rolname = current_user
       WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
      [names],
    ));
  } finally {
    await client.query("ROLLBACK").catch(() => {});
  }
  const open = tables.filter((table) => !table.active);
  if (open.length === 0) return;
  const reasons = open.map((table) => `${table.name}: ${whyNotActive(table)}`).join("; ");
  throw new RookeryError(
    `${migration.version} is tenant-scoped, but row level security would not limit it to one tenant (${reasons}); every tenant's run would change every tenant's rows, so no tenant was run`,
    {
      hint:
        `Set tenantRole in environment ${environment.name} to a role the policies apply to (not the tables' owner, no BYPASSRLS, not a superuser), ` +
        `or ALTER TABLE ... FORCE ROW LEVEL SECURITY, or filter each statement on current_setting('app.current_tenant_id').`,
    },
  );
}
