import { parseSync, scanSync, type Statement } from "../analysis/parse.ts";
import { asColumnDef, asConstraint, columnConstraints, type AlterTableCmd, type Node, type RangeVar } from "../analysis/tree.ts";
import { volatileCall } from "../analysis/rules/adding-field-with-volatile-default.ts";
import { directiveFor, type Directives } from "./directives.ts";
import { tableKey, type OperationSpec, type StatementOrigin, type TableRef } from "./plan.ts";

/**
 * The operations an expand-contract file asks for, derived from its parsed statements. A statement
 * (or sub-command) that cannot run in two phases is a problem naming it by line; every problem is
 * collected, and the caller refuses the file before anything runs.
 */
export interface Derivation {
  specs: OperationSpec[];
  problems: string[];
}

const CONSTRAINT_KINDS: Record<string, "unique" | "check" | "foreign key"> = {
  CONSTR_UNIQUE: "unique",
  CONSTR_CHECK: "check",
  CONSTR_FOREIGN: "foreign key",
};

const SUBCOMMANDS: Record<string, string> = {
  AT_AlterColumnType: "ALTER COLUMN ... TYPE",
  AT_SetNotNull: "ALTER COLUMN ... SET NOT NULL",
  AT_AddColumn: "ADD COLUMN",
  AT_AddConstraint: "ADD CONSTRAINT",
  AT_DropColumn: "DROP COLUMN",
};

/** What to do instead, for the statements people most often put in such a file. */
const ELSEWHERE: Record<string, string> = {
  CreateStmt: "a new table needs no two phases: create it in a plain migration",
  IndexStmt: "build indexes in a plain migration with CREATE INDEX CONCURRENTLY",
  InsertStmt: "data changes belong in a plain migration",
  UpdateStmt: "data changes belong in a plain migration; a backfill is `-- rookery:backfill column = expression`",
  DeleteStmt: "data changes belong in a plain migration",
};

function firstWords(sql: string): string {
  const line = sql.replace(/\s+/g, " ").trim();
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

/** Text of a clause of `sql` from byte `from` up to (not including) the first top-level stop word, `,` or `;`. */
function clauseText(sql: string, from: number, stopWords: readonly string[] = []): string {
  const bytes = Buffer.from(sql, "utf8");
  const tail = bytes.subarray(from).toString("utf8");
  const tokens = scanSync(tail).tokens;
  let depth = 0;
  let end = Buffer.byteLength(tail, "utf8");
  for (const token of tokens) {
    if (token.text === "(" || token.text === "[") depth++;
    else if (token.text === ")" || token.text === "]") depth--;
    if (depth < 0 || (depth === 0 && (token.text === "," || token.text === ";" || stopWords.includes(token.text.toUpperCase())))) {
      end = token.start;
      break;
    }
  }
  return Buffer.from(tail, "utf8").subarray(0, end).toString("utf8").trim();
}

const COLUMN_CONSTRAINT_WORDS = ["NOT", "NULL", "DEFAULT", "CONSTRAINT", "CHECK", "REFERENCES", "UNIQUE", "PRIMARY", "GENERATED", "COLLATE", "USING"];

interface Located extends Node {
  location?: number;
}

function tableOf(relation: RangeVar | undefined, renamed: Map<string, TableRef>): TableRef {
  const table = { schema: relation?.schemaname ?? "public", name: relation?.relname ?? "" };
  return renamed.get(tableKey(table)) ?? table;
}

/** One statement's own parse, so locations count from its first byte. */
function ownTree(statement: Statement): Node {
  const tree = parseSync(statement.sql) as unknown as { stmts: { stmt: Record<string, Node> }[] };
  return tree.stmts[0]!.stmt[statement.kind]!;
}

export function deriveOperations(statements: readonly Statement[], directives: Directives): Derivation {
  const specs: OperationSpec[] = [];
  const problems: string[] = [];
  // Later statements may name a table by the name an earlier RENAME TO gives it.
  const renamed = new Map<string, TableRef>();
  let backfillAnyUsed = false;
  const backfillFor = (table: TableRef, column: string): string | undefined => {
    const named = directiveFor(directives.backfill, table.name, column);
    if (named !== undefined) return named;
    if (directives.backfillAny !== undefined && !backfillAnyUsed) {
      backfillAnyUsed = true;
      return directives.backfillAny;
    }
    return undefined;
  };

  for (const statement of statements) {
    const origin: StatementOrigin = { line: statement.line, text: firstWords(statement.sql) };
    const refuse = (what: string, why: string) => problems.push(`line ${statement.line}: ${what} cannot run in two phases: ${why}`);
    const node = ownTree(statement);

    if (statement.kind === "AlterTableStmt" && node.objtype === "OBJECT_TABLE") {
      const table = tableOf(node.relation as RangeVar, renamed);
      const cmds = ((node.cmds as { AlterTableCmd?: AlterTableCmd }[]) ?? []).flatMap((cmd) => (cmd.AlterTableCmd ? [cmd.AlterTableCmd] : []));
      for (const cmd of cmds) {
        const column = cmd.name ?? "";
        switch (cmd.subtype) {
          case "AT_AlterColumnType": {
            const def = asColumnDef(cmd.def)!;
            const typeLocation = (def.typeName as Located | undefined)?.location ?? 0;
            const type = clauseText(statement.sql, typeLocation, COLUMN_CONSTRAINT_WORDS);
            const usingAt = (def as { raw_default?: unknown }).raw_default ? findKeyword(statement.sql, typeLocation, "USING") : undefined;
            const up = usingAt !== undefined ? clauseText(statement.sql, usingAt + "USING".length) : undefined;
            const down = directiveFor(directives.down, table.name, column) ?? directives.down.get("");
            specs.push({ op: "alter-column-type", table, origin, column, type, ...(up ? { up } : {}), ...(down ? { down } : {}) });
            break;
          }
          case "AT_SetNotNull": {
            const backfill = backfillFor(table, column);
            specs.push({ op: "set-not-null", table, origin, column, ...(backfill !== undefined ? { backfill } : {}) });
            break;
          }
          case "AT_AddColumn": {
            const def = asColumnDef(cmd.def)!;
            const name = def.colname ?? "";
            const constraints = columnConstraints(def);
            const other = constraints.filter((constraint) => !["CONSTR_NOTNULL", "CONSTR_DEFAULT", "CONSTR_NULL"].includes(constraint.contype));
            if (other.length > 0) {
              refuse(`ADD COLUMN ${name} with ${other.map((constraint) => constraint.contype.replace("CONSTR_", "")).join(", ")}`, "add the column, then the constraint with ADD CONSTRAINT in the same file");
              break;
            }
            const typeLocation = (def.typeName as Located | undefined)?.location ?? 0;
            const type = clauseText(statement.sql, typeLocation, COLUMN_CONSTRAINT_WORDS);
            const defaultConstraint = constraints.find((constraint) => constraint.contype === "CONSTR_DEFAULT");
            const defaultAt = defaultConstraint ? findKeyword(statement.sql, typeLocation, "DEFAULT") : undefined;
            const defaultText = defaultAt !== undefined ? clauseText(statement.sql, defaultAt + "DEFAULT".length, COLUMN_CONSTRAINT_WORDS) : undefined;
            const notNull = constraints.some((constraint) => constraint.contype === "CONSTR_NOTNULL");
            const named = notNull || directiveFor(directives.backfill, table.name, name) !== undefined ? backfillFor(table, name) : undefined;
            // A volatile default (gen_random_uuid(), clock_timestamp()) added as written rewrites every row under
            // ACCESS EXCLUSIVE: it is set for new rows and fills the existing ones in batches, as a backfill would.
            const backfill = named ?? (defaultText !== undefined && volatileCall(defaultConstraint?.raw_expr) ? defaultText : undefined);
            specs.push({
              op: "add-column",
              table,
              origin,
              column: name,
              type,
              notNull,
              ...(defaultText !== undefined ? { default: defaultText } : {}),
              ...(backfill !== undefined ? { backfill } : {}),
            });
            break;
          }
          case "AT_AddConstraint": {
            const constraint = asConstraint(cmd.def)!;
            const kind = CONSTRAINT_KINDS[constraint.contype];
            if (!kind) {
              refuse(`ADD CONSTRAINT ${constraint.conname ?? ""} (${constraint.contype.replace("CONSTR_", "")})`, "only UNIQUE, CHECK and FOREIGN KEY constraints are added in two phases");
              break;
            }
            if (!constraint.conname) {
              refuse(`ADD ${kind.toUpperCase()} without a name`, "name it (ADD CONSTRAINT name ...) so complete and abort can find it");
              break;
            }
            const text = clauseText(statement.sql, constraint.location ?? 0);
            const definition = text.replace(/^CONSTRAINT\s+("(?:[^"]|"")+"|\S+)\s+/i, "").replace(/\s+NOT\s+VALID\s*$/i, "");
            const fkAttrs = (constraint as unknown as { fk_attrs?: { String?: { sval?: string } }[] }).fk_attrs ?? [];
            const columns = [...(constraint.keys ?? []), ...fkAttrs].map((key) => key.String?.sval ?? "").filter(Boolean);
            if (kind === "unique" && /\b(INCLUDE|WHERE|USING|NULLS)\b/i.test(definition)) {
              refuse(`ADD CONSTRAINT ${constraint.conname} ${definition}`, "only a plain UNIQUE (columns) is built in two phases");
              break;
            }
            specs.push({ op: "add-constraint", table, origin, name: constraint.conname, kind, definition, columns });
            break;
          }
          case "AT_DropColumn": {
            const down = directiveFor(directives.down, table.name, column);
            specs.push({ op: "drop-column", table, origin, column, ...(down ? { down } : {}) });
            break;
          }
          default:
            refuse(`ALTER TABLE ${table.name} ${cmd.subtype.replace(/^AT_/, "")}`, `supported here: ${Object.values(SUBCOMMANDS).join(", ")}, RENAME COLUMN, RENAME TO, DROP TABLE`);
        }
      }
      continue;
    }
    if (statement.kind === "RenameStmt" && node.renameType === "OBJECT_COLUMN" && node.relationType === "OBJECT_TABLE") {
      const table = tableOf(node.relation as RangeVar, renamed);
      specs.push({ op: "rename-column", table, origin, column: String(node.subname), to: String(node.newname) });
      continue;
    }
    if (statement.kind === "RenameStmt" && node.renameType === "OBJECT_TABLE") {
      const table = tableOf(node.relation as RangeVar, renamed);
      specs.push({ op: "rename-table", table, origin, to: String(node.newname) });
      renamed.set(tableKey({ schema: table.schema, name: String(node.newname) }), table);
      continue;
    }
    if (statement.kind === "DropStmt" && node.removeType === "OBJECT_TABLE") {
      if (node.behavior === "DROP_CASCADE") {
        refuse(`DROP TABLE ... CASCADE`, "what CASCADE would drop is not known before complete; drop the dependent objects first");
        continue;
      }
      for (const object of (node.objects as { List?: { items?: { String?: { sval?: string } }[] } }[]) ?? []) {
        const names = (object.List?.items ?? []).map((item) => item.String?.sval ?? "");
        const table = names.length > 1 ? { schema: names[0]!, name: names[1]! } : { schema: "public", name: names[0]! };
        specs.push({ op: "drop-table", table: renamed.get(tableKey(table)) ?? table, origin });
      }
      continue;
    }
    refuse(firstWords(statement.sql), ELSEWHERE[statement.kind] ?? "supported here: ALTER TABLE ... RENAME COLUMN, ALTER COLUMN TYPE, SET NOT NULL, ADD COLUMN, ADD CONSTRAINT, DROP COLUMN, RENAME TO, DROP TABLE");
  }
  problems.push(...clashes(specs));
  return { specs, problems };
}

/** Byte offset of the first top-level `word` at or after byte `from`. */
function findKeyword(sql: string, from: number, word: string): number | undefined {
  const tail = Buffer.from(sql, "utf8").subarray(from).toString("utf8");
  const token = scanSync(tail).tokens.find((candidate) => candidate.text.toUpperCase() === word);
  return token ? from + token.start : undefined;
}

/** Two operations on one column (or a dropped or renamed table used again) would fight over its shape. */
function clashes(specs: OperationSpec[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, OperationSpec>();
  for (const spec of specs) {
    const column = "column" in spec ? spec.column : undefined;
    const keys = [column !== undefined ? `${tableKey(spec.table)}.${column}` : undefined, spec.op === "rename-column" ? `${tableKey(spec.table)}.${spec.to}` : undefined];
    for (const key of keys) {
      if (!key) continue;
      const earlier = seen.get(key);
      if (earlier) problems.push(`line ${spec.origin.line}: column ${key.replace(/^public\./, "")} is also changed at line ${earlier.origin.line}; change one column once per expand-contract migration`);
      else seen.set(key, spec);
    }
    const dropped = specs.find((other) => other.op === "drop-table" && other !== spec && tableKey(other.table) === tableKey(spec.table));
    if (dropped && spec.op !== "drop-table") {
      problems.push(`line ${spec.origin.line}: ${spec.table.name} is dropped at line ${dropped.origin.line}; do not change a table the same migration drops`);
    }
  }
  return problems;
}
