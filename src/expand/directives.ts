import { headerLines } from "../catalog/index.ts";

/**
 * The expressions an expand-contract file gives in its header, for what the statements cannot say:
 * `-- rookery:down <column> = <expression>` (the way back to the old shape of a changed column, or
 * the value the old shape gets for a dropped NOT NULL column), `-- rookery:backfill <column> =
 * <expression>` (what fills a new NOT NULL column or the NULLs of a column becoming NOT NULL;
 * `-- rookery:backfill <expression>` when only one column needs one). A column may be written
 * `table.column`, either part double-quoted as in SQL (`"Users"."Full Name"`).
 */
export interface Directives {
  down: Map<string, string>;
  backfill: Map<string, string>;
  /** `-- rookery:backfill <expression>` without a column. */
  backfillAny?: string;
}

const DIRECTIVE = /^--\s*rookery:(down|backfill)\s+(.+?)\s*$/i;
const NAME = String.raw`(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")`;
const ASSIGNMENT = new RegExp(String.raw`^((?:${NAME}\.)?${NAME})\s*=(?!=)\s*(.+)$`);
const NAME_PART = new RegExp(NAME, "g");

/** `table.column` or `column` as Postgres reads it: unquoted parts folded to lower case, quoted ones as written. */
function directiveKey(written: string): string {
  return (written.match(NAME_PART) ?? []).map((part) => (part.startsWith('"') ? part.slice(1, -1).replace(/""/g, '"') : part.toLowerCase())).join(".");
}

export function readDirectives(sql: string): Directives {
  const directives: Directives = { down: new Map(), backfill: new Map() };
  for (const line of headerLines(sql)) {
    const match = DIRECTIVE.exec(line);
    if (!match) continue;
    const kind = match[1]!.toLowerCase() as "down" | "backfill";
    const assignment = ASSIGNMENT.exec(match[2]!);
    if (assignment) directives[kind].set(directiveKey(assignment[1]!), assignment[2]!);
    else if (kind === "backfill") directives.backfillAny = match[2]!;
    else directives.down.set("", match[2]!);
  }
  return directives;
}

/** The expression given for `table.column` or `column` (a quoted name exactly; an unquoted one in any case, as before). */
export function directiveFor(map: Map<string, string>, table: string, column: string): string | undefined {
  return map.get(`${table}.${column}`) ?? map.get(column) ?? map.get(`${table}.${column}`.toLowerCase()) ?? map.get(column.toLowerCase());
}
