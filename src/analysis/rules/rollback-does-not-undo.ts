import type { Statement } from "../parse.ts";
import { asColumnDef, asConstraint, dottedName, relationOf, tableCommands, tableKey, type RangeVar } from "../tree.ts";
import type { Rule, RuleHit } from "../types.ts";

/** Something a migration creates, as `kind:schema.name`, with what else removes it when dropped. */
interface Created {
  key: string;
  what: string;
  /** Dropping any of these (`table:public.t`, `schema:s`) removes the object too. */
  containers: string[];
  statement: Statement;
  location?: number;
}

const DROP_KINDS: Record<string, string> = {
  OBJECT_TABLE: "table",
  OBJECT_INDEX: "index",
  OBJECT_VIEW: "view",
  OBJECT_MATVIEW: "view",
  OBJECT_SEQUENCE: "sequence",
  OBJECT_TYPE: "type",
  OBJECT_FUNCTION: "function",
  OBJECT_PROCEDURE: "function",
  OBJECT_SCHEMA: "schema",
  OBJECT_POLICY: "policy",
  OBJECT_TRIGGER: "trigger",
};

/** Objects named within their table: `DROP POLICY p ON s.t` lists `s.t.p`. */
const ON_TABLE = new Set(["policy", "trigger"]);

function dropKey(kind: string, name: string): string {
  if (kind === "schema") return `schema:${name}`;
  if (!ON_TABLE.has(kind)) return `${kind}:${qualified(name)}`;
  const parts = name.split(".");
  const own = parts.pop();
  return `${kind}:${qualified(parts.join("."))}.${own}`;
}

/** `s.name` with `public.` added when no schema is written. */
function qualified(name: string): string {
  return name.includes(".") ? name : `public.${name}`;
}

function schemaOf(name: string): string {
  return `schema:${qualified(name).split(".")[0]}`;
}

function droppedObjectName(object: Record<string, { names?: unknown; objname?: unknown; sval?: string }>): string {
  if (object.TypeName) return dottedName(object.TypeName.names);
  if (object.ObjectWithArgs) return dottedName(object.ObjectWithArgs.objname);
  if (object.String) return object.String.sval ?? "";
  return dottedName(object);
}

/** Everything a rollback file removes, as `kind:schema.name` keys. */
function droppedKeys(statements: readonly Statement[]): Set<string> {
  const keys = new Set<string>();
  for (const statement of statements) {
    const kind = statement.kind === "DropStmt" ? DROP_KINDS[String(statement.node.removeType)] : undefined;
    if (!kind) continue;
    for (const object of (statement.node.objects as Record<string, never>[] | undefined) ?? []) {
      keys.add(dropKey(kind, droppedObjectName(object)));
    }
  }
  for (const { relation, cmd } of tableCommands(statements, ["AT_DropColumn", "AT_DropConstraint"])) {
    keys.add(`${cmd.subtype === "AT_DropColumn" ? "column" : "constraint"}:${tableKey(relation)}.${cmd.name}`);
  }
  return keys;
}

function relationObject(kind: string, relation: RangeVar | undefined, statement: Statement): Created {
  const name = tableKey(relation);
  return { key: `${kind}:${name}`, what: `${kind} ${relation?.relname}`, containers: [schemaOf(name)], statement };
}

function createdObjects(statements: readonly Statement[]): Created[] {
  const created: Created[] = [];
  for (const statement of statements) {
    const { kind, node } = statement;
    if (kind === "CreateStmt") created.push(relationObject("table", relationOf(statement), statement));
    if (kind === "CreateTableAsStmt") created.push(relationObject("table", (node.into as { rel?: RangeVar })?.rel, statement));
    if (kind === "ViewStmt" && node.replace !== true) created.push(relationObject("view", node.view as RangeVar, statement));
    if (kind === "CreateSeqStmt") created.push(relationObject("sequence", node.sequence as RangeVar, statement));
    if (kind === "IndexStmt") {
      const table = tableKey(relationOf(statement));
      const name = node.idxname ? `${relationOf(statement)?.schemaname ?? "public"}.${String(node.idxname)}` : "?";
      const what = node.idxname ? `index ${String(node.idxname)}` : `the unnamed index on ${relationOf(statement)?.relname} (name it so a rollback can drop it)`;
      // Dropping any column an index covers drops the index with it.
      const columns = ((node.indexParams as { IndexElem?: { name?: string } }[] | undefined) ?? []).flatMap((param) =>
        param.IndexElem?.name ? [`column:${table}.${param.IndexElem.name}`] : [],
      );
      created.push({ key: `index:${name}`, what, containers: [`table:${table}`, schemaOf(table), ...columns], statement });
    }
    const typeName = kind === "CreateEnumStmt" ? dottedName(node.typeName) : kind === "CompositeTypeStmt" ? tableKey(node.typevar as RangeVar) : "";
    if (typeName) created.push({ key: `type:${qualified(typeName)}`, what: `type ${typeName}`, containers: [schemaOf(typeName)], statement });
    if (kind === "CreateFunctionStmt" && node.replace !== true) {
      const name = dottedName(node.funcname);
      created.push({ key: `function:${qualified(name)}`, what: `function ${name}`, containers: [schemaOf(name)], statement });
    }
    if (kind === "CreatePolicyStmt" || kind === "CreateTrigStmt") {
      const table = tableKey((node.table ?? node.relation) as RangeVar);
      const [what, name] = kind === "CreatePolicyStmt" ? ["policy", String(node.policy_name)] : ["trigger", String(node.trigname)];
      created.push({ key: `${what}:${table}.${name}`, what: `${what} ${name}`, containers: [`table:${table}`, schemaOf(table)], statement });
    }
    if (kind === "CreateSchemaStmt") {
      created.push({ key: `schema:${String(node.schemaname)}`, what: `schema ${String(node.schemaname)}`, containers: [], statement });
    }
  }
  for (const { statement, relation, cmd } of tableCommands(statements, ["AT_AddColumn", "AT_AddConstraint"])) {
    const table = tableKey(relation);
    const containers = [`table:${table}`, schemaOf(table)];
    const column = asColumnDef(cmd.def);
    const constraint = asConstraint(cmd.def);
    if (column) {
      created.push({ key: `column:${table}.${column.colname}`, what: `column ${relation?.relname}.${column.colname}`, containers, statement, location: column.location });
    } else if (constraint?.conname) {
      created.push({ key: `constraint:${table}.${constraint.conname}`, what: `constraint ${constraint.conname}`, containers, statement, location: constraint.location });
    }
  }
  return created;
}

/** The first schema of `SET [LOCAL] search_path = s, ...`; "public" for RESET / DEFAULT; undefined for other statements. */
function searchPathSet(statement: Statement): string | undefined {
  if (statement.kind !== "VariableSetStmt" || statement.node.name !== "search_path") return undefined;
  const first = (statement.node.args as { A_Const?: { sval?: { sval?: string } } }[] | undefined)?.[0]?.A_Const?.sval?.sval;
  return first === undefined || first === "$user" ? "public" : first;
}

/** Gives every unqualified table and name in `node` the schema `schema` (in place, on a copy). */
function qualifyNames(node: unknown, schema: string): void {
  if (Array.isArray(node)) return node.forEach((child) => qualifyNames(child, schema));
  if (!node || typeof node !== "object") return;
  const record = node as Record<string, unknown>;
  if (typeof record.relname === "string" && record.schemaname === undefined) record.schemaname = schema;
  for (const key of ["typeName", "funcname", "names", "objname"]) {
    const names = record[key];
    if (Array.isArray(names) && names.length === 1 && (names[0] as { String?: unknown }).String) names.unshift({ String: { sval: schema } });
  }
  for (const child of Object.values(record)) qualifyNames(child, schema);
}

/**
 * The statements as Postgres resolves them after a `SET search_path = billing, public`: unqualified
 * names in the `billing` schema (the first one, where CREATE puts new objects), so a file that sets
 * it is compared with a rollback that does the same, or that names `billing.` itself.
 */
function resolvingSearchPath(statements: readonly Statement[]): readonly Statement[] {
  let schema = "public";
  return statements.map((statement) => {
    schema = searchPathSet(statement) ?? schema;
    if (schema === "public") return statement;
    const copy = structuredClone(statement);
    if (copy.kind === "DropStmt") {
      const onTable = ON_TABLE.has(DROP_KINDS[String(copy.node.removeType)] ?? "");
      for (const object of (copy.node.objects as { List?: { items?: unknown[] } }[] | undefined) ?? []) {
        const items = object.List?.items;
        if (items && items.length === (onTable ? 2 : 1)) items.unshift({ String: { sval: schema } });
      }
    }
    qualifyNames(copy.node, schema);
    return copy;
  });
}

export const rollbackDoesNotUndo: Rule = {
  id: "rollback-does-not-undo",
  severity: "error",
  why: "A rollback that leaves behind what the migration created is not a rollback: the leftovers stay, and applying the migration again fails with \"already exists\".",
  safeWay: "Drop in the rollback file, in reverse order, everything the migration creates: DROP TABLE/INDEX/VIEW/TYPE/FUNCTION IF EXISTS, ALTER TABLE ... DROP COLUMN/CONSTRAINT IF EXISTS.",
  check: ({ migration, rollback }) => {
    if (!rollback) return [];
    const dropped = droppedKeys(resolvingSearchPath(rollback.statements));
    return createdObjects(resolvingSearchPath(migration.statements))
      .filter((object) => !dropped.has(object.key) && !object.containers.some((container) => dropped.has(container)))
      .map((object): RuleHit => ({
        statement: object.statement,
        location: object.location,
        message: `the rollback file ${rollback.file} never drops ${object.what}: after a rollback it stays, and applying this migration again fails`,
      }));
  },
};
