import type { Statement } from "./parse.ts";
import { alterTableCommands, asColumnDef, createdColumns, dottedName, relationOf, tableKey, type TypeName } from "./tree.ts";

/** A column's type as the parser gives it: `varchar` with typmods `[255]`, `int4[]`. */
export interface ColumnType {
  name: string;
  typmods: number[];
  array: boolean;
}

const ALIASES: Record<string, string> = {
  integer: "int4", int: "int4", serial: "int4", serial4: "int4", bigint: "int8", bigserial: "int8", serial8: "int8",
  smallint: "int2", smallserial: "int2", serial2: "int2", boolean: "bool", decimal: "numeric", real: "float4",
  "double precision": "float8", "character varying": "varchar", character: "bpchar", char: "bpchar", varbit: "varbit",
  "bit varying": "varbit", "timestamp with time zone": "timestamptz", "time with time zone": "timetz",
};

/** The type a `TypeName` of the parse tree names, aliases resolved (`integer` and `serial` are `int4`). */
export function columnTypeOf(typeName: TypeName | undefined): ColumnType | undefined {
  const names = typeName?.names ?? [];
  const last = names[names.length - 1]?.String?.sval?.toLowerCase();
  if (!last) return undefined;
  // The parse tree leaves out a zero: `time(0)` is `{ ival: {} }`.
  const typmods = (typeName?.typmods ?? []).map((mod) => {
    const constant = (mod as { A_Const?: { ival?: { ival?: number } } }).A_Const;
    return constant?.ival ? (constant.ival.ival ?? 0) : NaN;
  });
  return { name: ALIASES[last] ?? last, typmods, array: (typeName?.arrayBounds?.length ?? 0) > 0 };
}

export function describeType(type: ColumnType): string {
  return `${type.name}${type.typmods.length ? `(${type.typmods.join(",")})` : ""}${type.array ? "[]" : ""}`;
}

/** What the earlier migrations of the catalog made of one table. */
export interface ModelTable {
  columns: Map<string, ColumnType>;
  /** The version of the migration that created it. */
  createdBy: string;
}

/**
 * The tables and column types the catalog's migrations create, replayed statement by statement
 * through the parser: CREATE TABLE, ADD / DROP / ALTER COLUMN TYPE, renames, DROP TABLE. It knows
 * only what the files say: a table made outside them (by hand, by an extension) is unknown, and a
 * rule that needs it stays as cautious as without the model.
 */
export class SchemaModel {
  readonly tables = new Map<string, ModelTable>();
  /** Index (`schema.name`) -> its table (`schema.table`). */
  readonly indexes = new Map<string, string>();

  columnType(table: string, column: string): ColumnType | undefined {
    return this.tables.get(table)?.columns.get(column);
  }

  /** Applies one migration's statements, in order. */
  apply(statements: readonly Statement[], version: string): void {
    for (const statement of statements) this.applyStatement(statement, version);
  }

  private applyStatement(statement: Statement, version: string): void {
    const key = tableKey(relationOf(statement));
    switch (statement.kind) {
      case "CreateStmt": {
        const columns = new Map<string, ColumnType>();
        for (const column of createdColumns(statement)) {
          const type = columnTypeOf(column.typeName);
          if (column.colname && type) columns.set(column.colname, type);
        }
        if (!(statement.node.if_not_exists === true && this.tables.has(key))) this.tables.set(key, { columns, createdBy: version });
        return;
      }
      case "AlterTableStmt": {
        const table = this.tables.get(key);
        if (!table) return;
        for (const cmd of alterTableCommands(statement)) {
          const column = asColumnDef(cmd.def);
          if (cmd.subtype === "AT_AddColumn" && column?.colname) {
            const type = columnTypeOf(column.typeName);
            if (type) table.columns.set(column.colname, type);
          } else if (cmd.subtype === "AT_AlterColumnType" && cmd.name) {
            const type = columnTypeOf(column?.typeName);
            if (type) table.columns.set(cmd.name, type);
          } else if (cmd.subtype === "AT_DropColumn" && cmd.name) {
            table.columns.delete(cmd.name);
          }
        }
        return;
      }
      case "RenameStmt": {
        const node = statement.node as { renameType?: string; subname?: string; newname?: string };
        const table = this.tables.get(key);
        if (!table || !node.newname) return;
        if (node.renameType === "OBJECT_COLUMN" && node.subname) {
          const type = table.columns.get(node.subname);
          table.columns.delete(node.subname);
          if (type) table.columns.set(node.newname, type);
        } else if (node.renameType === "OBJECT_TABLE") {
          this.tables.delete(key);
          this.tables.set(`${key.split(".")[0]}.${node.newname}`, table);
        }
        return;
      }
      case "IndexStmt": {
        const name = statement.node.idxname;
        if (typeof name === "string") this.indexes.set(`${key.split(".")[0]}.${name}`, key);
        return;
      }
      case "DropStmt": {
        if (statement.node.removeType === "OBJECT_INDEX") {
          for (const object of (statement.node.objects as unknown[] | undefined) ?? []) this.indexes.delete(qualified(dottedName(object)));
        }
        if (statement.node.removeType !== "OBJECT_TABLE") return;
        for (const object of (statement.node.objects as unknown[] | undefined) ?? []) {
          const name = dottedName(object);
          this.tables.delete(name.includes(".") ? name : `public.${name}`);
        }
        return;
      }
      default:
    }
  }
}

/** `public.` added to a name written without a schema. */
export function qualified(name: string): string {
  return name.includes(".") ? name : `public.${name}`;
}

/** Types whose typmod Postgres can raise (or drop) without rewriting: its length, precision or scale checks only loosen. */
const LOOSENING_TYPMODS = new Set(["varchar", "varbit", "numeric", "timestamp", "timestamptz", "time", "timetz", "interval"]);

/** Casts Postgres does without touching the data (pg_cast's binary-coercible ones that matter in migrations). */
const BINARY_COERCIBLE = new Set(["varchar>text", "text>varchar", "cidr>inet", "bit>varbit", "xml>text", "xml>varchar"]);

function loosens(from: ColumnType, to: ColumnType): boolean {
  if (to.typmods.length === 0) return true;
  if (from.typmods.length === 0) return false;
  if (from.name === "numeric") {
    // numeric(p, s) -> numeric(p2 >= p, same s): the digits before the point only grow.
    const [precision, scale = 0] = from.typmods;
    const [newPrecision, newScale = 0] = to.typmods;
    return newScale === scale && newPrecision! >= precision!;
  }
  return to.typmods[0]! >= from.typmods[0]!;
}

/**
 * Whether changing a column from `from` to `to` rewrites the table: not for the same type, for a
 * typmod that only loosens (varchar(n) to a larger n or none, numeric precision up, timestamp
 * precision up, ...), or for a binary-coercible cast without a tighter typmod (varchar to text).
 */
export function typeChangeRewrites(from: ColumnType, to: ColumnType): boolean {
  if (from.array !== to.array) return true;
  if (from.name === to.name) {
    if (from.typmods.join(",") === to.typmods.join(",")) return false;
    return !(LOOSENING_TYPMODS.has(from.name) && loosens(from, to));
  }
  if (!BINARY_COERCIBLE.has(`${from.name}>${to.name}`)) return true;
  // The cast itself is free; a typmod on the new type may still check every row.
  return to.typmods.length > 0 && !(from.name === "bit" && LOOSENING_TYPMODS.has("varbit") && loosens(from, to));
}
