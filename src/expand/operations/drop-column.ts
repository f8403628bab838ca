import { columnOf, overNewRow, type Operation } from "../operation.ts";
import { ident, qualified, type DropColumnSpec } from "../plan.ts";

/**
 * Deprecation first. Expand: the new version's view leaves the column out; a NOT NULL column without
 * a default is filled for the old shape by `-- rookery:down column = expression` on inserts through
 * the view. Complete: the column is dropped. Abort: nothing on the table.
 */
export const dropColumn: Operation<DropColumnSpec> = {
  validate(spec, facts) {
    const column = columnOf(facts, spec.column);
    if (!column) return [`column ${spec.column} does not exist in ${facts.name}`];
    const problems: string[] = [];
    if (facts.key.includes(spec.column)) problems.push(`column ${facts.name}.${spec.column} is part of the table's key`);
    if (column.notNull && column.default === null && !column.identity && !column.generated && spec.down === undefined) {
      problems.push(
        `column ${facts.name}.${spec.column} is NOT NULL without a default, so inserts through the new version would fail; add a header line \`-- rookery:down ${spec.column} = <expression>\``,
      );
    }
    return problems;
  },
  reshape(spec, shape) {
    shape.columns = shape.columns.filter((column) => column.source !== spec.column);
  },
  expand: () => [],
  sync(spec, _facts, shape) {
    if (spec.down === undefined) return { fromOld: [], fromNew: [] };
    return { fromOld: [], fromNew: [`IF NEW.${ident(spec.column)} IS NULL THEN NEW.${ident(spec.column)} := ${overNewRow(spec.down, shape)}; END IF;`] };
  },
  backfill: () => undefined,
  settle: () => [],
  complete: (spec) => [`ALTER TABLE ${qualified(spec.table)} DROP COLUMN ${ident(spec.column)}`],
  abort: () => [],
};
