import { columnOf, notNullCheckName, overNewRow, overOldRow, type Operation } from "../operation.ts";
import { ident, qualified, shadowColumn, type AlterColumnTypeSpec, type ColumnFacts } from "../plan.ts";

/** The name of the copy of an index built on the shadow column; it takes the index's name at complete. */
function shadowIndex(name: string): string {
  return `_rookery_${name}`.slice(0, 63);
}

/**
 * An index's definition (pg_get_indexdef) rebuilt concurrently on the shadow column: the same
 * method, columns, order and options, the changed column replaced in its column list.
 */
function shadowIndexSql(index: ColumnFacts["indexes"][number], column: string): string {
  const using = index.definition.indexOf(" USING ");
  const head = index.definition.slice(0, using).replace(/^CREATE (UNIQUE )?INDEX \S+ ON /, (_match, unique: string | undefined) => `CREATE ${unique ?? ""}INDEX CONCURRENTLY ${ident(shadowIndex(index.name))} ON `);
  const escaped = column.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const columns = index.definition.slice(using).replace(new RegExp(`(?<![\\w."])(?:${escaped}|"${escaped}")(?![\\w"])`, "g"), ident(shadowColumn(column)));
  return `${head}${columns}`;
}

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
      // Plain indexes are rebuilt on the shadow column (`indexes`); these are what cannot be.
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
    const column = columnOf(facts, spec.column)!;
    // After the backfill, so the rows are written once and the index is built once.
    const indexes = column.indexes.map((index) => ({
      label: `build index ${shadowIndex(index.name)} on ${shadowColumn(spec.column)} concurrently`,
      sql: shadowIndexSql(index, spec.column),
      outsideTransaction: true,
    }));
    if (!column.notNull) return indexes;
    const check = notNullCheckName(shadowColumn(spec.column));
    return [{ label: `validate NOT NULL of ${shadowColumn(spec.column)}`, sql: `ALTER TABLE ${qualified(spec.table)} VALIDATE CONSTRAINT ${ident(check)}` }, ...indexes];
  },
  complete(spec, facts) {
    const table = qualified(spec.table);
    const old = columnOf(facts, spec.column)!;
    const shadow = shadowColumn(spec.column);
    const sql: string[] = [];
    if (old.ownedSequence) sql.push(`ALTER SEQUENCE ${old.ownedSequence} OWNED BY ${table}.${ident(shadow)}`);
    sql.push(`ALTER TABLE ${table} DROP COLUMN ${ident(spec.column)}`);
    sql.push(`ALTER TABLE ${table} RENAME COLUMN ${ident(shadow)} TO ${ident(spec.column)}`);
    // The old column's indexes went with it; their copies on the shadow take their names.
    for (const index of old.indexes) sql.push(`ALTER INDEX ${ident(spec.table.schema)}.${ident(shadowIndex(index.name))} RENAME TO ${ident(index.name)}`);
    if (old.default) sql.push(`ALTER TABLE ${table} ALTER COLUMN ${ident(spec.column)} SET DEFAULT (${old.default})::${spec.type}`);
    if (old.notNull) {
      // The validated check lets SET NOT NULL skip its scan (Postgres 12+); then it is redundant.
      sql.push(`ALTER TABLE ${table} ALTER COLUMN ${ident(spec.column)} SET NOT NULL`);
      sql.push(`ALTER TABLE ${table} DROP CONSTRAINT ${ident(notNullCheckName(shadow))}`);
    }
    return sql;
  },
  abort(spec, facts) {
    const table = qualified(spec.table);
    const shadow = shadowColumn(spec.column);
    return [
      ...(columnOf(facts, spec.column)?.indexes ?? []).map((index) => `DROP INDEX IF EXISTS ${ident(spec.table.schema)}.${ident(shadowIndex(index.name))}`),
      `ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${ident(notNullCheckName(shadow))}`,
      `ALTER TABLE ${table} DROP COLUMN IF EXISTS ${ident(shadow)}`,
    ];
  },
};
