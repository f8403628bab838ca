import { NO_SYNC, type Operation } from "../operation.ts";
import { ident, qualified, type AddConstraintSpec } from "../plan.ts";

/**
 * Expand: CHECK and FOREIGN KEY are added NOT VALID (new writes are checked at once, no scan under
 * a lock) and validated after, which blocks no writes; UNIQUE builds its index concurrently.
 * Complete: UNIQUE takes its constraint from the index; CHECK and FOREIGN KEY: nothing.
 * Abort: the constraint or index goes.
 */
export const addConstraint: Operation<AddConstraintSpec> = {
  validate(spec, facts) {
    const missing = spec.columns.filter((name) => !facts.columns.some((column) => column.name === name));
    return missing.length > 0 ? [`constraint ${spec.name} names column ${missing.join(", ")}, which ${facts.name} does not have`] : [];
  },
  reshape: () => {},
  expand(spec) {
    const table = qualified(spec.table);
    if (spec.kind === "unique") {
      return [
        {
          label: `build unique index ${spec.name} on ${spec.table.name} concurrently`,
          sql: `CREATE UNIQUE INDEX CONCURRENTLY ${ident(spec.name)} ON ${table} (${spec.columns.map(ident).join(", ")})`,
          outsideTransaction: true,
        },
      ];
    }
    return [{ label: `add ${spec.kind} ${spec.name} to ${spec.table.name} NOT VALID`, sql: `ALTER TABLE ${table} ADD CONSTRAINT ${ident(spec.name)} ${spec.definition} NOT VALID` }];
  },
  sync: () => NO_SYNC,
  backfill: () => undefined,
  settle(spec) {
    if (spec.kind === "unique") return [];
    return [{ label: `validate ${spec.kind} ${spec.name}`, sql: `ALTER TABLE ${qualified(spec.table)} VALIDATE CONSTRAINT ${ident(spec.name)}` }];
  },
  complete(spec) {
    if (spec.kind !== "unique") return [];
    return [`ALTER TABLE ${qualified(spec.table)} ADD CONSTRAINT ${ident(spec.name)} UNIQUE USING INDEX ${ident(spec.name)}`];
  },
  abort(spec) {
    if (spec.kind === "unique") return [`DROP INDEX IF EXISTS ${ident(spec.table.schema)}.${ident(spec.name)}`];
    return [`ALTER TABLE ${qualified(spec.table)} DROP CONSTRAINT IF EXISTS ${ident(spec.name)}`];
  },
};
