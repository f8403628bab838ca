import { columnOf, notNullCheckName, overNewRow, overOldRow, type Operation } from "../operation.ts";
import { ident, qualified, shadowColumn, type AlterColumnTypeSpec } from "../plan.ts";

/**
 * Expand: a shadow column of the new type beside the old one, a trigger converting each write both
 * ways (USING for old to new, `-- rookery:down` or a cast for new to old), the old rows converted by
 * the backfill, and NOT NULL as a check validated without blocking writes. The new version's view
 * shows the shadow column under the column's name. Complete: the old column goes, the shadow takes
 * its name, default, NOT NULL and sequence.
 */
export const alterColumnType: Operation<AlterColumnTypeSpec> = {
  validate(spec, facts) {
    const column = columnOf(facts, spec.column);
    if (!column) return [`column ${spec.column} does not exist in ${facts.name}`];
    const problems: string[] = [];
    if (column.identity || column.generated) problems.push(`column ${facts.name}.${spec.column} is an identity or generated column, which cannot be changed in two phases`);
    if (column.usedBy.length > 0) {
      problems.push(
        `column ${facts.name}.${spec.column} is used by ${column.usedBy.join(", ")}, which would have to be rebuilt on the new column; change the type with a plain migration in a quiet hour, or drop them first`,
      );
    }
    if (columnOf(facts, shadowColumn(spec.column))) problems.push(`${facts.name} already has a column ${shadowColumn(spec.column)} (left by another tool?)`);
    return problems;
  },
  reshape(spec, shape, facts) {
    const column = shape.columns.find((candidate) => candidate.source === spec.column);
    const fact = columnOf(facts, spec.column);
    if (!column) return;
    column.source = shadowColumn(spec.column);
    if (fact?.default) column.default = `(${fact.default})::${spec.type}`;
  },
  expand(spec, facts) {
    const table = qualified(spec.table);
    const shadow = shadowColumn(spec.column);
    const sql = [`ALTER TABLE ${table} ADD COLUMN ${ident(shadow)} ${spec.type}`];
    if (columnOf(facts, spec.column)?.notNull) {
      sql.push(`ALTER TABLE ${table} ADD CONSTRAINT ${ident(notNullCheckName(shadow))} CHECK (${ident(shadow)} IS NOT NULL) NOT VALID`);
    }
    return [{ label: `add column ${shadow} ${spec.type} to ${spec.table.name}`, sql: sql.join(";\n") }];
  },
  sync(spec, facts, shape) {
    const old = columnOf(facts, spec.column)!;
    const up = spec.up ? overOldRow(spec.up) : `NEW.${ident(spec.column)}::${spec.type}`;
    const down = spec.down ? overNewRow(spec.down, shape) : `NEW.${ident(shadowColumn(spec.column))}::${old.type}`;
    return {
      fromOld: [`NEW.${ident(shadowColumn(spec.column))} := ${up};`],
      fromNew: [`NEW.${ident(spec.column)} := ${down};`],
    };
  },
  backfill: (spec) => ({ set: [`${ident(shadowColumn(spec.column))} = ${spec.up ? `(${spec.up})` : `${ident(spec.column)}::${spec.type}`}`] }),
  settle(spec, facts) {
    if (!columnOf(facts, spec.column)?.notNull) return [];
    const check = notNullCheckName(shadowColumn(spec.column));
    return [{ label: `validate NOT NULL of ${shadowColumn(spec.column)}`, sql: `ALTER TABLE ${qualified(spec.table)} VALIDATE CONSTRAINT ${ident(check)}` }];
  },
  complete(spec, facts) {
    const table = qualified(spec.table);
    const old = columnOf(facts, spec.column)!;
    const shadow = shadowColumn(spec.column);
    const sql: string[] = [];
    if (old.ownedSequence) sql.push(`ALTER SEQUENCE ${old.ownedSequence} OWNED BY ${table}.${ident(shadow)}`);
    sql.push(`ALTER TABLE ${table} DROP COLUMN ${ident(spec.column)}`);
    sql.push(`ALTER TABLE ${table} RENAME COLUMN ${ident(shadow)} TO ${ident(spec.column)}`);
    if (old.default) sql.push(`ALTER TABLE ${table} ALTER COLUMN ${ident(spec.column)} SET DEFAULT (${old.default})::${spec.type}`);
    if (old.notNull) {
      // The validated check lets SET NOT NULL skip its scan (Postgres 12+); then it is redundant.
      sql.push(`ALTER TABLE ${table} ALTER COLUMN ${ident(spec.column)} SET NOT NULL`);
      sql.push(`ALTER TABLE ${table} DROP CONSTRAINT ${ident(notNullCheckName(shadow))}`);
    }
    return sql;
  },
  abort(spec) {
    const table = qualified(spec.table);
    const shadow = shadowColumn(spec.column);
    return [
      `ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${ident(notNullCheckName(shadow))}`,
      `ALTER TABLE ${table} DROP COLUMN IF EXISTS ${ident(shadow)}`,
    ];
  },
};
