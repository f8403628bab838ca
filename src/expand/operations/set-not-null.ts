import { columnOf, notNullCheckName, overOldRow, type Operation } from "../operation.ts";
import { ident, qualified, type SetNotNullSpec } from "../plan.ts";

/**
 * Expand: a `CHECK (column IS NOT NULL) NOT VALID` (new writes are checked at once, old rows are
 * not scanned under a lock), the NULLs filled by `-- rookery:backfill` in batches (and on every
 * write by the trigger), then the check validated without blocking writes. Without a backfill, a
 * write of NULL is refused from expand on. Complete: SET NOT NULL, which the validated check lets
 * skip its scan; the check goes.
 */
export const setNotNull: Operation<SetNotNullSpec> = {
  validate(spec, facts) {
    const column = columnOf(facts, spec.column);
    if (!column) return [`column ${spec.column} does not exist in ${facts.name}`];
    if (column.notNull) return [`column ${facts.name}.${spec.column} is NOT NULL already`];
    return [];
  },
  reshape: () => {},
  expand: (spec) => [
    {
      label: `check ${spec.table.name}.${spec.column} IS NOT NULL for new writes`,
      sql: `ALTER TABLE ${qualified(spec.table)} ADD CONSTRAINT ${ident(notNullCheckName(spec.column))} CHECK (${ident(spec.column)} IS NOT NULL) NOT VALID`,
    },
  ],
  sync(spec) {
    if (!spec.backfill) return { fromOld: [], fromNew: [] };
    const fill = `IF NEW.${ident(spec.column)} IS NULL THEN NEW.${ident(spec.column)} := ${overOldRow(spec.backfill)}; END IF;`;
    return { fromOld: [fill], fromNew: [fill] };
  },
  backfill: (spec) => (spec.backfill ? { set: [`${ident(spec.column)} = (${spec.backfill})`], where: `${ident(spec.column)} IS NULL` } : undefined),
  settle: (spec) => [
    {
      label: `validate ${spec.table.name}.${spec.column} IS NOT NULL`,
      sql: `ALTER TABLE ${qualified(spec.table)} VALIDATE CONSTRAINT ${ident(notNullCheckName(spec.column))}`,
    },
  ],
  complete: (spec) => [
    `ALTER TABLE ${qualified(spec.table)} ALTER COLUMN ${ident(spec.column)} SET NOT NULL`,
    `ALTER TABLE ${qualified(spec.table)} DROP CONSTRAINT ${ident(notNullCheckName(spec.column))}`,
  ],
  abort: (spec) => [`ALTER TABLE ${qualified(spec.table)} DROP CONSTRAINT IF EXISTS ${ident(notNullCheckName(spec.column))}`],
};
