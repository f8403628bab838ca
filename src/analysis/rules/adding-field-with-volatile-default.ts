import { isExpandContract } from "../../catalog/read.ts";
import { asColumnDef, columnConstraints, dottedName, findNodes, commandsOnExistingTables, tableName, typeNameOf } from "../tree.ts";
import type { Rule } from "../types.ts";

/** Built-in functions whose value changes per row: as a default they force a rewrite of every row. */
const VOLATILE_FUNCTIONS = new Set([
  "random",
  "gen_random_uuid",
  "uuid_generate_v1",
  "uuid_generate_v1mc",
  "uuid_generate_v4",
  "clock_timestamp",
  "timeofday",
  "nextval",
  "txid_current",
  "setseed",
]);

const SERIAL_TYPES = new Set(["serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"]);

/** The first built-in volatile function an expression calls (expand-contract fills such a default in batches). */
export function volatileCall(expression: unknown): string | undefined {
  return findNodes(expression, "FuncCall")
    .map((call) => dottedName(call.funcname).split(".").pop() ?? "")
    .find((name) => VOLATILE_FUNCTIONS.has(name.toLowerCase()));
}

export const addingFieldWithVolatileDefault: Rule = {
  id: "adding-field-with-volatile-default",
  severity: "error",
  why: "A column added with a volatile default (random(), gen_random_uuid(), clock_timestamp(), a serial), or with any default before Postgres 11, rewrites the whole table under an ACCESS EXCLUSIVE lock.",
  safeWay:
    "Add the column without a default (or with a constant one), set the volatile default in a second statement, and backfill existing rows in batches.",
  check: ({ migration, newTables, postgresVersion }) =>
    commandsOnExistingTables(migration.statements, newTables, ["AT_AddColumn"])
      .flatMap(({ statement, relation, cmd }) => {
        const column = asColumnDef(cmd.def);
        if (!column) return [];
        const defaults = columnConstraints(column).filter((constraint) => constraint.contype === "CONSTR_DEFAULT");
        const serial = SERIAL_TYPES.has(typeNameOf(column.typeName));
        // Expand-contract adds such a column nullable, sets the default for new rows and fills the rest in batches
        // (src/expand/derive.ts); a serial's type, and any default before Postgres 11, it still adds as written.
        const call = isExpandContract(migration.sql) ? undefined : defaults.map((constraint) => volatileCall(constraint.raw_expr)).find(Boolean);
        // Before Postgres 11 every default, even a constant, was written into each existing row.
        const beforeEleven = postgresVersion !== undefined && postgresVersion < 11 && defaults.length > 0;
        if (!serial && !call && !beforeEleven) return [];
        const cause = call
          ? `the default ${call}() differs per row`
          : serial
            ? `a ${typeNameOf(column.typeName)} column takes nextval() per row`
            : `Postgres ${postgresVersion} writes any default into every existing row (only 11 and later store a constant once)`;
        return [
          {
            statement,
            location: column.location,
            message: `${cause}, so adding ${column.colname} rewrites every row of ${tableName(relation)} while reads and writes wait`,
          },
        ];
      }),
};
