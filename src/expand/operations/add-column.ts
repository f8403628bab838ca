import { columnOf, notNullCheckName, overOldRow, type Operation } from "../operation.ts";
import { ident, qualified, type AddColumnSpec } from "../plan.ts";

/**
 * Expand: the column, nullable unless its default fills every row. With a default it is added as
 * written (a non-volatile default is stored once, no rewrite). With `-- rookery:backfill` it is
 * added nullable, filled in batches and on every write by the trigger, and NOT NULL is a check
 * validated without blocking writes. The new version's view shows it; the old shape ignores it.
 * Complete: SET NOT NULL from the validated check. Abort: the column goes (with what was written to it).
 */
export const addColumn: Operation<AddColumnSpec> = {
  validate(spec, facts) {
    if (columnOf(facts, spec.column)) return [`${facts.name} already has a column ${spec.column}`];
    if (spec.notNull && spec.default === undefined && spec.backfill === undefined) {
      return [
        `ADD COLUMN ${spec.column} NOT NULL needs a DEFAULT or a header line \`-- rookery:backfill ${spec.column} = <expression>\` to fill the rows that exist`,
      ];
    }
    return [];
  },
  reshape(spec, shape) {
    shape.columns.push({ name: spec.column, source: spec.column });
  },
  expand(spec) {
    const table = qualified(spec.table);
    if (spec.default !== undefined && spec.backfill === undefined) {
      return [
        {
          label: `add column ${spec.column} to ${spec.table.name}`,
          sql: `ALTER TABLE ${table} ADD COLUMN ${ident(spec.column)} ${spec.type} DEFAULT ${spec.default}${spec.notNull ? " NOT NULL" : ""}`,
        },
      ];
    }
    const sql = [`ALTER TABLE ${table} ADD COLUMN ${ident(spec.column)} ${spec.type}`];
    if (spec.default !== undefined) sql.push(`ALTER TABLE ${table} ALTER COLUMN ${ident(spec.column)} SET DEFAULT ${spec.default}`);
    if (spec.notNull) sql.push(`ALTER TABLE ${table} ADD CONSTRAINT ${ident(notNullCheckName(spec.column))} CHECK (${ident(spec.column)} IS NOT NULL) NOT VALID`);
    return [{ label: `add column ${spec.column} to ${spec.table.name}`, sql: sql.join(";\n") }];
  },
  sync(spec) {
    if (spec.backfill === undefined) return { fromOld: [], fromNew: [] };
    const fill = `IF NEW.${ident(spec.column)} IS NULL THEN NEW.${ident(spec.column)} := ${overOldRow(spec.backfill)}; END IF;`;
    return { fromOld: [fill], fromNew: [fill] };
  },
  backfill: (spec) =>
    spec.backfill === undefined ? undefined : { set: [`${ident(spec.column)} = (${spec.backfill})`], where: `${ident(spec.column)} IS NULL` },
  settle(spec) {
    if (!spec.notNull || spec.backfill === undefined) return [];
    return [
      {
        label: `validate ${spec.table.name}.${spec.column} IS NOT NULL`,
        sql: `ALTER TABLE ${qualified(spec.table)} VALIDATE CONSTRAINT ${ident(notNullCheckName(spec.column))}`,
      },
    ];
  },
  complete(spec) {
    if (!spec.notNull || spec.backfill === undefined) return [];
    return [
      `ALTER TABLE ${qualified(spec.table)} ALTER COLUMN ${ident(spec.column)} SET NOT NULL`,
      `ALTER TABLE ${qualified(spec.table)} DROP CONSTRAINT ${ident(notNullCheckName(spec.column))}`,
    ];
  },
  abort: (spec) => [`ALTER TABLE ${qualified(spec.table)} DROP COLUMN IF EXISTS ${ident(spec.column)}`],
};
