import type pg from "pg";
import type { Statement } from "../analysis/parse.ts";
import { alterTableCommands, dottedName, relationOf, tableName, type RangeVar } from "../analysis/tree.ts";

/** How many dependent objects a warning names before "and N more". */
const NAMED = 8;

/**
 * Objects that depend on one (a relation, one of its columns, a type, a schema) in the ordinary way,
 * that is, what a DROP ... CASCADE drops with it and what makes a plain DROP or a type change fail.
 * A view shows as the view, not as its rewrite rule; what the object owns itself (its indexes,
 * its constraints) is not listed.
 */
const DEPENDENTS_SQL = `
SELECT DISTINCT CASE WHEN d.classid = 'pg_catalog.pg_rewrite'::regclass
                     THEN 'view ' || (SELECT r.ev_class::regclass::text FROM pg_catalog.pg_rewrite r WHERE r.oid = d.objid)
                     ELSE pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) END AS object
FROM pg_catalog.pg_depend d
WHERE d.refclassid = $1::regclass AND d.refobjid = $2::oid AND ($3::int = 0 OR d.refobjsubid = $3::int) AND d.deptype = 'n'
  AND NOT (d.classid = 'pg_catalog.pg_rewrite'::regclass
           AND (SELECT r.ev_class FROM pg_catalog.pg_rewrite r WHERE r.oid = d.objid) = $2::oid)
ORDER BY 1`;

async function dependentsOf(client: pg.ClientBase, catalog: string, oid: number, subid = 0): Promise<string[]> {
  const { rows } = await client.query<{ object: string }>(DEPENDENTS_SQL, [catalog, oid, subid]);
  return rows.map((row) => row.object);
}

function named(objects: string[]): string {
  return objects.length <= NAMED ? objects.join(", ") : `${objects.slice(0, NAMED).join(", ")} and ${objects.length - NAMED} more`;
}

async function relationOid(client: pg.ClientBase, relation: RangeVar | undefined): Promise<number | undefined> {
  if (!relation?.relname) return undefined;
  const { rows } = await client.query<{ oid: number | null }>("SELECT to_regclass($1)::oid AS oid", [tableName(relation)]);
  return rows[0]?.oid ?? undefined;
}

async function columnNumber(client: pg.ClientBase, oid: number, column: string): Promise<number | undefined> {
  const { rows } = await client.query<{ attnum: number }>(
    "SELECT attnum FROM pg_catalog.pg_attribute WHERE attrelid = $1 AND attname = $2 AND NOT attisdropped",
    [oid, column],
  );
  return rows[0]?.attnum;
}

/**
 * DROP COLUMN and ALTER COLUMN ... TYPE of a column views depend on: refused at apply, or (CASCADE) the views are gone.
 * In an expand-contract file the drop happens at `rookery complete` (apply only hides the column), and the type change
 * is refused at apply, before any DDL (src/expand/operations/alter-column-type.ts says the way by hand).
 */
async function columnWarnings(client: pg.ClientBase, statement: Statement, expandContract: boolean): Promise<string[]> {
  const warnings: string[] = [];
  const relation = relationOf(statement);
  const oid = await relationOid(client, relation);
  if (oid === undefined) return warnings;
  for (const cmd of alterTableCommands(statement)) {
    if ((cmd.subtype !== "AT_DropColumn" && cmd.subtype !== "AT_AlterColumnType") || !cmd.name) continue;
    const attnum = await columnNumber(client, oid, cmd.name);
    if (attnum === undefined) continue;
    const dependents = await dependentsOf(client, "pg_catalog.pg_class", oid, attnum);
    if (dependents.length === 0) continue;
    const column = `${tableName(relation)}.${cmd.name}`;
    const cascade = (cmd as { behavior?: string }).behavior === "DROP_CASCADE";
    if (expandContract && !cascade) {
      warnings.push(
        cmd.subtype === "AT_AlterColumnType"
          ? `line ${statement.line}: changing the type of ${column} in two phases is refused at apply: ${named(dependents)} depend(s) on it`
          : `line ${statement.line}: DROP COLUMN ${column} fails at \`rookery complete\`: ${named(dependents)} depend(s) on it; change them in a plain migration before complete`,
      );
      continue;
    }
    warnings.push(
      cmd.subtype === "AT_AlterColumnType"
        ? `line ${statement.line}: changing the type of ${column} fails at apply: ${named(dependents)} depend(s) on it; drop and recreate them in the same migration`
        : cascade
          ? `line ${statement.line}: DROP COLUMN ${column} CASCADE also drops ${named(dependents)}, without a word at apply`
          : `line ${statement.line}: DROP COLUMN ${column} fails at apply: ${named(dependents)} depend(s) on it`,
    );
  }
  return warnings;
}

const DROPPED_CATALOGS: Record<string, { catalog: string; lookup: string }> = {
  OBJECT_TABLE: { catalog: "pg_catalog.pg_class", lookup: "SELECT to_regclass($1)::oid AS oid" },
  OBJECT_VIEW: { catalog: "pg_catalog.pg_class", lookup: "SELECT to_regclass($1)::oid AS oid" },
  OBJECT_MATVIEW: { catalog: "pg_catalog.pg_class", lookup: "SELECT to_regclass($1)::oid AS oid" },
  OBJECT_SEQUENCE: { catalog: "pg_catalog.pg_class", lookup: "SELECT to_regclass($1)::oid AS oid" },
  OBJECT_TYPE: { catalog: "pg_catalog.pg_type", lookup: "SELECT to_regtype($1)::oid AS oid" },
  OBJECT_DOMAIN: { catalog: "pg_catalog.pg_type", lookup: "SELECT to_regtype($1)::oid AS oid" },
  OBJECT_SCHEMA: { catalog: "pg_catalog.pg_namespace", lookup: "SELECT to_regnamespace($1)::oid AS oid" },
};

/** DROP ... CASCADE: what else goes, named; a plain DROP of something others depend on fails at apply. */
async function dropWarnings(client: pg.ClientBase, statement: Statement, expandContract: boolean): Promise<string[]> {
  const target = DROPPED_CATALOGS[String(statement.node.removeType)];
  if (!target) return [];
  const cascade = statement.node.behavior === "DROP_CASCADE";
  const warnings: string[] = [];
  for (const object of (statement.node.objects as Record<string, unknown>[] | undefined) ?? []) {
    const name = (object as { TypeName?: { names?: unknown } }).TypeName
      ? dottedName((object as { TypeName: { names?: unknown } }).TypeName.names)
      : (object as { String?: { sval?: string } }).String?.sval ?? dottedName(object);
    const { rows } = await client.query<{ oid: number | null }>(target.lookup, [name]);
    const oid = rows[0]?.oid;
    if (oid === null || oid === undefined) continue;
    const dependents = await dependentsOf(client, target.catalog, oid);
    if (dependents.length === 0) continue;
    warnings.push(
      cascade
        ? `line ${statement.line}: DROP ... ${name} CASCADE also drops ${named(dependents)}, without a word at apply`
        : expandContract
          ? `line ${statement.line}: DROP ... ${name} fails at \`rookery complete\`: ${named(dependents)} depend(s) on it; change them in a plain migration before complete`
          : `line ${statement.line}: DROP ... ${name} fails at apply: ${named(dependents)} depend(s) on it`,
    );
  }
  return warnings;
}

/**
 * What the database says about a pending file's DROPs and type changes, which the file alone cannot
 * tell: the views a column change breaks, what a CASCADE drops with it. Read-only catalog queries.
 */
export async function dependencyWarnings(client: pg.ClientBase, statements: Statement[], options: { expandContract?: boolean } = {}): Promise<string[]> {
  const warnings: string[] = [];
  const expandContract = options.expandContract ?? false;
  for (const statement of statements) {
    if (statement.kind === "AlterTableStmt") warnings.push(...(await columnWarnings(client, statement, expandContract)));
    if (statement.kind === "DropStmt") warnings.push(...(await dropWarnings(client, statement, expandContract)));
  }
  return warnings;
}
