import type { Statement } from "./parse.ts";

/** Small readers over libpg_query's JSON parse tree, shared by the rules. */

export type Node = Record<string, unknown>;

export interface RangeVar {
  schemaname?: string;
  relname?: string;
  location?: number;
}

/** `schema.name`; an unqualified name is taken as `public.name`. */
export function tableKey(relation: RangeVar | undefined): string {
  return `${relation?.schemaname ?? "public"}.${relation?.relname ?? ""}`;
}

/** A user-facing name: as written, with its schema only when one was written. */
export function tableName(relation: RangeVar | undefined): string {
  return relation?.schemaname ? `${relation.schemaname}.${relation.relname}` : (relation?.relname ?? "?");
}

export function relationOf(statement: Statement): RangeVar | undefined {
  return statement.node.relation as RangeVar | undefined;
}

export interface AlterTableCmd {
  subtype: string;
  name?: string;
  def?: Node;
  missing_ok?: boolean;
  behavior?: string;
}

/** The sub-commands of an `ALTER TABLE` (not of ALTER INDEX/VIEW/...). */
export function alterTableCommands(statement: Statement): AlterTableCmd[] {
  if (statement.kind !== "AlterTableStmt" || statement.node.objtype !== "OBJECT_TABLE") return [];
  const cmds = (statement.node.cmds as { AlterTableCmd?: AlterTableCmd }[] | undefined) ?? [];
  return cmds.flatMap((cmd) => (cmd.AlterTableCmd ? [cmd.AlterTableCmd] : []));
}

export interface Constraint {
  contype: string;
  conname?: string;
  skip_validation?: boolean;
  indexname?: string;
  raw_expr?: Node;
  keys?: { String?: { sval?: string } }[];
  location?: number;
}

export interface TypeName {
  names?: { String?: { sval?: string } }[];
  typmods?: unknown[];
  arrayBounds?: unknown[];
  location?: number;
}

export interface ColumnDef {
  colname?: string;
  typeName?: TypeName;
  constraints?: { Constraint?: Constraint }[];
  location?: number;
}

export function asConstraint(node: Node | undefined): Constraint | undefined {
  return node?.Constraint as Constraint | undefined;
}

export function asColumnDef(node: Node | undefined): ColumnDef | undefined {
  return node?.ColumnDef as ColumnDef | undefined;
}

export function columnConstraints(column: ColumnDef): Constraint[] {
  return (column.constraints ?? []).flatMap((entry) => (entry.Constraint ? [entry.Constraint] : []));
}

/** The type's own name without `pg_catalog.`: `int4`, `varchar`, `timestamp`, `serial`. */
export function typeNameOf(typeName: TypeName | undefined): string {
  const names = typeName?.names ?? [];
  return (names[names.length - 1]?.String?.sval ?? "").toLowerCase();
}

/** The elements of a `CREATE TABLE` that `pick` recognises (columns, or table-level constraints). */
function tableElements<T>(statement: Statement, pick: (element: Node) => T | undefined): T[] {
  if (statement.kind !== "CreateStmt") return [];
  return ((statement.node.tableElts as Node[] | undefined) ?? []).flatMap((element) => {
    const picked = pick(element);
    return picked ? [picked] : [];
  });
}

/** The columns a `CREATE TABLE` defines. */
export function createdColumns(statement: Statement): ColumnDef[] {
  return tableElements(statement, asColumnDef);
}

/** Table-level constraints of a `CREATE TABLE`: `PRIMARY KEY (id)`, `FOREIGN KEY ...`. */
export function tableConstraints(statement: Statement): Constraint[] {
  return tableElements(statement, asConstraint);
}

/** Columns an `ALTER TABLE ... ADD COLUMN` adds. */
export function addedColumns(statement: Statement): ColumnDef[] {
  return alterTableCommands(statement).flatMap((cmd) => {
    const column = cmd.subtype === "AT_AddColumn" ? asColumnDef(cmd.def) : undefined;
    return column ? [column] : [];
  });
}

/** Every column definition a statement writes: in CREATE TABLE, ADD COLUMN and ALTER COLUMN TYPE. */
export function writtenColumns(statement: Statement): ColumnDef[] {
  const altered = alterTableCommands(statement)
    .filter((cmd) => cmd.subtype === "AT_AddColumn" || cmd.subtype === "AT_AlterColumnType")
    .flatMap((cmd) => {
      const column = asColumnDef(cmd.def);
      return column ? [{ ...column, colname: column.colname ?? cmd.name }] : [];
    });
  return [...createdColumns(statement), ...altered];
}

/** Every node of `tree` under the key `kind`, depth first. */
export function findNodes(tree: unknown, kind: string): Node[] {
  const found: Node[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) {
        if (key === kind && child && typeof child === "object") found.push(child as Node);
        visit(child);
      }
    }
  };
  visit(tree);
  return found;
}

/** The names in a `List` of `String`s, joined by dots: `public.users`. */
export function dottedName(list: unknown): string {
  const items = ((list as { List?: { items?: unknown[] } })?.List?.items ?? (Array.isArray(list) ? list : [])) as {
    String?: { sval?: string };
  }[];
  return items.map((item) => item.String?.sval ?? "").join(".");
}

export interface TableCommand {
  statement: Statement;
  relation: RangeVar | undefined;
  cmd: AlterTableCmd;
}

/** Every `ALTER TABLE` sub-command of the file with its statement and table, in file order. */
export function tableCommands(statements: readonly Statement[], subtypes: readonly string[]): TableCommand[] {
  return statements.flatMap((statement) =>
    alterTableCommands(statement)
      .filter((cmd) => subtypes.includes(cmd.subtype))
      .map((cmd) => ({ statement, relation: relationOf(statement), cmd })),
  );
}

/** The RangeVars of statements over several tables: TRUNCATE a, b; LOCK a, b; VACUUM a, b. */
export function relationsOf(statement: Statement): RangeVar[] {
  const listed = (statement.node.relations as { RangeVar?: RangeVar }[] | undefined) ?? [];
  const vacuumed = (statement.node.rels as { VacuumRelation?: { relation?: RangeVar } }[] | undefined) ?? [];
  return [
    ...listed.flatMap((entry) => (entry.RangeVar ? [entry.RangeVar] : [])),
    ...vacuumed.flatMap((entry) => (entry.VacuumRelation?.relation ? [entry.VacuumRelation.relation] : [])),
    ...(relationOf(statement) ? [relationOf(statement)!] : []),
  ];
}

/** ALTER TABLE sub-commands on tables that exist already (not created in this file): the ones that can lock someone out. */
export function commandsOnExistingTables(
  statements: readonly Statement[],
  newTables: ReadonlySet<string>,
  subtypes: readonly string[],
): TableCommand[] {
  return tableCommands(statements, subtypes).filter(({ relation }) => !newTables.has(tableKey(relation)));
}

/**
 * Statements of this kind touching a table this file did not create. Naming no table at all
 * (`VACUUM FULL;`, `CLUSTER;`) means every table of the database.
 */
export function statementsOnExistingTables(statements: readonly Statement[], newTables: ReadonlySet<string>, kind: string): Statement[] {
  return statements
    .filter((statement) => statement.kind === kind)
    .filter((statement) => {
      const relations = relationsOf(statement);
      return relations.length === 0 || relations.some((relation) => !newTables.has(tableKey(relation)));
    });
}
