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

export function syncTriggerName(plan: ExpansionPlan): string {
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
  return [`DROP TRIGGER IF EXISTS ${syncTriggerName(plan)} ON ${qualified(facts)}`, `DROP FUNCTION IF EXISTS ${syncFunctionName(plan, facts)}()`];
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
