import pg from "pg";
import { operationOf } from "./operations/index.ts";
import { ident, qualified, tableKey, type ExpansionPlan, type SyncRules, type TableFacts, type TableShape } from "./plan.ts";

/** Each touched table as the new version sees it: the table's columns, reshaped by each operation in file order. */
export function versionShapes(plan: ExpansionPlan): TableShape[] {
  const shapes = new Map<string, TableShape>();
  for (const spec of plan.specs) {
    const key = tableKey(spec.table);
    const facts = plan.facts[key]!;
    let shape = shapes.get(key);
    if (!shape) {
      shape = { table: spec.table, name: spec.table.name, columns: facts.columns.map((column) => ({ name: column.name, source: column.name })), dropped: false };
      shapes.set(key, shape);
    }
    operationOf(spec).reshape(spec, shape, facts);
  }
  return [...shapes.values()];
}

/** The sync trigger's rules of each table, gathered from its operations. */
export function syncRules(plan: ExpansionPlan, shapes: TableShape[]): Map<string, SyncRules> {
  const rules = new Map<string, SyncRules>();
  for (const spec of plan.specs) {
    const key = tableKey(spec.table);
    const shape = shapes.find((candidate) => tableKey(candidate.table) === key)!;
    const found = operationOf(spec).sync(spec, plan.facts[key]!, shape);
    const into = rules.get(key) ?? { fromOld: [], fromNew: [] };
    into.fromOld.push(...found.fromOld);
    into.fromNew.push(...found.fromNew);
    rules.set(key, into);
  }
  for (const [key, rule] of rules) if (rule.fromOld.length === 0 && rule.fromNew.length === 0) rules.delete(key);
  return rules;
}

export function syncFunctionName(plan: ExpansionPlan, facts: TableFacts): string {
  return `${ident(plan.versionSchema)}.${ident(`sync_${facts.schema}_${facts.name}`.slice(0, 63))}`;
}

/**
 * Postgres fires a table's BEFORE triggers in name order (byte order): `~` sorts after every letter, digit
 * and `_`, so the sync trigger fires after the table's own and copies the value the row is stored with
 * (a trigger normalizing the column, say) to the other shape.
 */
export function syncTriggerName(plan: ExpansionPlan): string {
  return ident(`~rookery_sync_${plan.version}`);
}

/** The name expansions made before the sync trigger was named to fire last; complete and abort drop either. */
function earlierSyncTriggerName(plan: ExpansionPlan): string {
  return ident(`rookery_sync_${plan.version}`);
}

/**
 * The trigger keeping both shapes in step: a write from a session whose search_path holds the
 * version schema came through the new version's views, any other from the old shape. The backfill
 * sets `rookery.backfill` for its own transactions, which write both columns themselves; the WHEN
 * clause tests it without calling the function, so a backfilled row costs no PL/pgSQL call.
 */
export function syncTriggerSql(plan: ExpansionPlan, facts: TableFacts, rules: SyncRules): string {
  const fn = syncFunctionName(plan, facts);
  const schema = plan.versionSchema.replace(/'/g, "''");
  const body = (lines: string[]) => (lines.length > 0 ? lines.map((line) => `      ${line}`).join("\n") : "      NULL;");
  return `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $rookery$
BEGIN
    IF '${schema}' = ANY (current_schemas(false)) THEN
${body(rules.fromNew)}
    ELSE
${body(rules.fromOld)}
    END IF;
    RETURN NEW;
END;
$rookery$;
DROP TRIGGER IF EXISTS ${syncTriggerName(plan)} ON ${qualified(facts)};
CREATE TRIGGER ${syncTriggerName(plan)} BEFORE INSERT OR UPDATE ON ${qualified(facts)} FOR EACH ROW
  WHEN (current_setting('rookery.backfill', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION ${fn}()`;
}

export function dropSyncTriggerSql(plan: ExpansionPlan, facts: TableFacts): string[] {
  return [
    `DROP TRIGGER IF EXISTS ${syncTriggerName(plan)} ON ${qualified(facts)}`,
    `DROP TRIGGER IF EXISTS ${earlierSyncTriggerName(plan)} ON ${qualified(facts)}`,
    `DROP FUNCTION IF EXISTS ${syncFunctionName(plan, facts)}()`,
  ];
}

/**
 * While expanded, the names the new version no longer has (a table it drops, the old name of a table
 * it renames) would still resolve through `public` after the version's schema on its search_path.
 * A stand-in of the same name in the version's schema shadows each: a view over a set-returning
 * function that raises (no predicate lets the planner skip a function scan, as it would skip a
 * constant row), with the table's columns so a statement naming them gets as far as the error, and
 * an INSTEAD OF trigger that refuses its writes; both raise SQLSTATE 42P01 (undefined_table, as for a
 * table that does not exist) with a message naming the version. After complete the names are gone
 * from the tables too, so complete makes no stand-ins.
 */
export function standInsSql(plan: ExpansionPlan, shapes: TableShape[]): string[] {
  const viewNames = new Set(shapes.filter((shape) => !shape.dropped).map((shape) => shape.name));
  const gone = shapes.flatMap((shape) => {
    const name = shape.table.name;
    if (viewNames.has(name)) return [];
    if (shape.dropped) return [{ name, shape, message: `relation "${name}" is dropped by version ${plan.version}: the new release (search_path ${plan.versionSchema}) must not use it` }];
    if (shape.name !== name) return [{ name, shape, message: `relation "${name}" is renamed to "${shape.name}" by version ${plan.version}: the new release (search_path ${plan.versionSchema}) uses ${shape.name}` }];
    return [];
  });
  if (gone.length === 0) return [];
  const fn = `${ident(plan.versionSchema)}."_rookery_gone"`;
  const sql = [
    `CREATE OR REPLACE FUNCTION ${fn}(what text) RETURNS SETOF record LANGUAGE plpgsql VOLATILE AS $rookery$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'undefined_table', MESSAGE = what,
        HINT = 'The old release still has it through the tables; it goes at rookery complete ${plan.version}.';
END;
$rookery$`,
    `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $rookery$
BEGIN
    PERFORM * FROM ${fn}(TG_ARGV[0]) AS gone(gone text);
    RETURN NULL;
END;
$rookery$`,
  ];
  for (const { name, message, shape } of gone) {
    const view = `${ident(plan.versionSchema)}.${ident(name)}`;
    const literal = pg.escapeLiteral(message);
    const columns = plan.facts[tableKey(shape.table)]!.columns;
    const definition = columns.length > 0 ? columns.map((column) => `${ident(column.name)} ${column.type}`).join(", ") : "gone text";
    sql.push(`DROP VIEW IF EXISTS ${view}`);
    sql.push(`CREATE VIEW ${view} AS SELECT * FROM ${fn}(${literal}) AS gone(${definition})`);
    sql.push(`CREATE TRIGGER "_rookery_gone" INSTEAD OF INSERT OR UPDATE OR DELETE ON ${view} FOR EACH ROW EXECUTE FUNCTION ${fn}(${literal})`);
  }
  return sql;
}

/**
 * The new version's views, one per touched table that it keeps: simple views, so Postgres writes
 * through them, run as the caller (security_invoker) so row level security holds. `identity` makes
 * each view read the columns by their own names (after complete, when the tables have the new shape).
 */
export function versionViewsSql(plan: ExpansionPlan, shapes: TableShape[], options: { identity: boolean; securityInvoker: boolean }): string[] {
  const sql = [`CREATE SCHEMA IF NOT EXISTS ${ident(plan.versionSchema)}`];
  for (const shape of shapes) {
    if (shape.dropped) continue;
    const view = `${ident(plan.versionSchema)}.${ident(shape.name)}`;
    const source = options.identity ? `${ident(shape.table.schema)}.${ident(shape.name)}` : qualified(shape.table);
    const columns = shape.columns.map((column) => (options.identity ? ident(column.name) : `${ident(column.source)} AS ${ident(column.name)}`)).join(", ");
    sql.push(`DROP VIEW IF EXISTS ${view}`);
    sql.push(`CREATE VIEW ${view}${options.securityInvoker ? " WITH (security_invoker = true)" : ""} AS SELECT ${columns} FROM ${source}`);
    if (!options.identity) {
      for (const column of shape.columns) {
        if (column.default) sql.push(`ALTER VIEW ${view} ALTER COLUMN ${ident(column.name)} SET DEFAULT ${column.default}`);
      }
    }
  }
  return sql;
}
