import { scanSync } from "../../analysis/parse.ts";
import { columnOf, notNullCheckName, overNewRow, overOldRow, type Operation } from "../operation.ts";
import { ident, qualified, shadowColumn, type AlterColumnTypeSpec, type ColumnFacts } from "../plan.ts";

/** The name of a copy made on the shadow column (an index, a CHECK); it takes the original's name at complete. */
function shadowCopy(name: string): string {
  return `_rookery_${name}`.slice(0, 63);
}

/**
 * SQL from the catalog (pg_get_indexdef, pg_get_constraintdef) with every reference to `column`
 * pointing at `to`: each identifier token naming it, not a string, a function called the same, a
 * qualified name's part or a type after `::`.
 */
function renameColumnIn(sql: string, column: string, to: string): string {
  const bytes = Buffer.from(sql, "utf8");
  const tokens = scanSync(sql).tokens;
  const quoted = `"${column.replace(/"/g, '""')}"`;
  let out = "";
  let at = 0;
  tokens.forEach((token, index) => {
    const names = token.text === quoted || (token.text === column && token.tokenName !== "SCONST" && /^[a-z_][a-z0-9_$]*$/.test(column));
    const before = tokens[index - 1]?.text;
    if (!names || before === "." || before === "::" || tokens[index + 1]?.text === "(" || tokens[index + 1]?.text === ".") return;
    out += bytes.subarray(at, token.start).toString("utf8") + ident(to);
    at = token.end;
  });
  return out + bytes.subarray(at).toString("utf8");
}

/** An index's definition (pg_get_indexdef) rebuilt concurrently on the shadow column: the same method, keys, expressions, predicate and options. */
function shadowIndexSql(index: ColumnFacts["indexes"][number], column: string): string {
  const using = index.definition.indexOf(" USING ");
  const head = index.definition.slice(0, using).replace(/^CREATE (UNIQUE )?INDEX (?:"(?:[^"]|"")+"|\S+) ON /, (_match, unique: string | undefined) => `CREATE ${unique ?? ""}INDEX CONCURRENTLY ${ident(shadowCopy(index.name))} ON `);
  return `${head}${renameColumnIn(index.definition.slice(using), column, shadowColumn(column))}`;
}

/** What blocks a change of type in two phases, and the way by hand, one sentence each. */
function blocker(table: string, column: string, what: string): string {
  const byHand = what.startsWith("view ")
    ? `drop it in a plain migration before this one and create it again after \`rookery complete\``
    : what.startsWith("generated column ")
      ? `drop it in a plain migration before this one and add it again after \`rookery complete\``
      : what.startsWith("foreign key ")
        ? "drop it in a plain migration first and add it again after `rookery complete` (ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT)"
        : "change the type in a plain migration in a quiet hour (ALTER COLUMN ... TYPE rewrites the table under an ACCESS EXCLUSIVE lock)";
  return `column ${table}.${column} is used by ${what}, which cannot move to the new column in two phases: ${byHand}`;
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
    // Indexes, UNIQUE constraints and CHECKs are copied onto the shadow column; these cannot be.
    problems.push(...column.usedBy.map((what) => blocker(facts.name, spec.column, what)));
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
    const column = columnOf(facts, spec.column);
    if (column?.notNull) {
      sql.push(`ALTER TABLE ${table} ADD CONSTRAINT ${ident(notNullCheckName(shadow))} CHECK (${ident(shadow)} IS NOT NULL) NOT VALID`);
    }
    // Each CHECK over the column, on the shadow: new writes checked at once, old rows after the backfill.
    for (const check of column?.checks ?? []) {
      const definition = renameColumnIn(check.definition.replace(/\s+NOT VALID$/, ""), spec.column, shadow);
      sql.push(`ALTER TABLE ${table} ADD CONSTRAINT ${ident(shadowCopy(check.name))} ${definition} NOT VALID`);
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
      label: `build index ${shadowCopy(index.name)} on ${shadowColumn(spec.column)} concurrently`,
      sql: shadowIndexSql(index, spec.column),
      outsideTransaction: true,
    }));
    const validate = (name: string, label: string) => ({ label, sql: `ALTER TABLE ${qualified(spec.table)} VALIDATE CONSTRAINT ${ident(name)}` });
    return [
      ...(column.notNull ? [validate(notNullCheckName(shadowColumn(spec.column)), `validate NOT NULL of ${shadowColumn(spec.column)}`)] : []),
      ...(column.checks ?? []).map((check) => validate(shadowCopy(check.name), `validate check ${check.name} on ${shadowColumn(spec.column)}`)),
      ...indexes,
    ];
  },
  complete(spec, facts) {
    const table = qualified(spec.table);
    const old = columnOf(facts, spec.column)!;
    const shadow = shadowColumn(spec.column);
    const sql: string[] = [];
    if (old.ownedSequence) sql.push(`ALTER SEQUENCE ${old.ownedSequence} OWNED BY ${table}.${ident(shadow)}`);
    sql.push(`ALTER TABLE ${table} DROP COLUMN ${ident(spec.column)}`);
    sql.push(`ALTER TABLE ${table} RENAME COLUMN ${ident(shadow)} TO ${ident(spec.column)}`);
    // NOT NULL first (no scan: the validated check proves it), so a primary key takes its index without one either.
    if (old.notNull) sql.push(`ALTER TABLE ${table} ALTER COLUMN ${ident(spec.column)} SET NOT NULL`);
    // The old column's indexes and constraints went with it; their copies on the shadow take their names.
    for (const index of old.indexes) {
      const copy = `${ident(spec.table.schema)}.${ident(shadowCopy(index.name))}`;
      const constraint = typeof index.constraint === "string" ? { name: index.constraint, kind: "UNIQUE" } : index.constraint;
      if (constraint) sql.push(`ALTER TABLE ${table} ADD CONSTRAINT ${ident(constraint.name)} ${constraint.kind} USING INDEX ${ident(shadowCopy(index.name))}`);
      else sql.push(`ALTER INDEX ${copy} RENAME TO ${ident(index.name)}`);
    }
    for (const check of old.checks ?? []) sql.push(`ALTER TABLE ${table} RENAME CONSTRAINT ${ident(shadowCopy(check.name))} TO ${ident(check.name)}`);
    if (old.default) sql.push(`ALTER TABLE ${table} ALTER COLUMN ${ident(spec.column)} SET DEFAULT (${old.default})::${spec.type}`);
    // The validated check let SET NOT NULL skip its scan (Postgres 12+); now it is redundant.
    if (old.notNull) sql.push(`ALTER TABLE ${table} DROP CONSTRAINT ${ident(notNullCheckName(shadow))}`);
    return sql;
  },
  abort(spec, facts) {
    const table = qualified(spec.table);
    const shadow = shadowColumn(spec.column);
    const column = columnOf(facts, spec.column);
    return [
      ...(column?.indexes ?? []).map((index) => `DROP INDEX IF EXISTS ${ident(spec.table.schema)}.${ident(shadowCopy(index.name))}`),
      ...(column?.checks ?? []).map((check) => `ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${ident(shadowCopy(check.name))}`),
      `ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${ident(notNullCheckName(shadow))}`,
      `ALTER TABLE ${table} DROP COLUMN IF EXISTS ${ident(shadow)}`,
    ];
  },
};
