import { loadModule, parseSync } from "libpg-query";
import { RookeryError } from "../errors.ts";

/** One top-level statement of a file, with its text and where it starts. */
export interface Statement {
  /** The node type of the parse tree: `IndexStmt`, `AlterTableStmt`, ... */
  kind: string;
  /** The parse tree node under `kind`. */
  node: Record<string, unknown>;
  /** The statement's own text, without the terminating semicolon. */
  sql: string;
  /** 1-based line and column of the statement's first character in the file. */
  line: number;
  column: number;
  /** Character offset in the file. */
  offset: number;
}

export class SqlSyntaxError extends RookeryError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Postgres's own words, without the position: `syntax error at or near "SELEC"`. */
  readonly detail: string;

  constructor(file: string, line: number, column: number, detail: string) {
    super(`${file}:${line}:${column}: ${detail}`, {
      hint: "Fix the SQL; nothing was run.",
    });
    this.file = file;
    this.line = line;
    this.column = column;
    this.detail = detail;
  }
}

let ready: Promise<void> | undefined;

/** The parser is WebAssembly: load it once, then parse synchronously. */
export function loadParser(): Promise<void> {
  ready ??= loadModule();
  return ready;
}

/**
 * Positions in one file's text, computed once: libpg_query reports byte offsets into the UTF-8,
 * the file is text, and a large file has thousands of statements and findings to place.
 */
class SourcePositions {
  /** Character offset of each byte offset; absent when the text is ASCII and both are the same. */
  private readonly charOfByte: Int32Array | undefined;
  /** Character offset where each line starts. */
  private readonly lineStarts: number[] = [0];

  constructor(text: string) {
    for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) this.lineStarts.push(at + 1);
    const byteLength = Buffer.byteLength(text, "utf8");
    if (byteLength === text.length) return;
    this.charOfByte = new Int32Array(byteLength + 1);
    let byte = 0;
    let char = 0;
    for (const codePoint of text) {
      const bytes = Buffer.byteLength(codePoint, "utf8");
      for (let index = 0; index < bytes; index++) this.charOfByte[byte + index] = char;
      byte += bytes;
      char += codePoint.length;
    }
    this.charOfByte[byte] = char;
  }

  charOffset(byteOffset: number): number {
    if (!this.charOfByte) return byteOffset;
    return this.charOfByte[Math.min(Math.max(byteOffset, 0), this.charOfByte.length - 1)]!;
  }

  lineAndColumn(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - this.lineStarts[low]! + 1 };
  }
}

/** The few files being analysed right now (a migration and its rollback), so each is indexed once. */
const recentSources = new Map<string, SourcePositions>();

function positionsIn(text: string): SourcePositions {
  let positions = recentSources.get(text);
  if (!positions) {
    positions = new SourcePositions(text);
    if (recentSources.size >= 4) recentSources.delete(recentSources.keys().next().value!);
    recentSources.set(text, positions);
  }
  return positions;
}

function charOffset(text: string, byteOffset: number): number {
  return positionsIn(text).charOffset(byteOffset);
}

/** Line and column of a parse tree `location` (a byte offset into the file's UTF-8). */
export function positionOfLocation(text: string, byteOffset: number): { line: number; column: number } {
  return positionsIn(text).lineAndColumn(charOffset(text, byteOffset));
}

/** 1-based line and column of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  return positionsIn(text).lineAndColumn(offset);
}

/** Skips whitespace and comments before a statement, so its line is where its first keyword is. */
function firstTokenOffset(text: string, from: number): number {
  let at = from;
  for (;;) {
    while (at < text.length && /\s/.test(text[at]!)) at++;
    if (text.startsWith("--", at)) {
      const end = text.indexOf("\n", at);
      at = end === -1 ? text.length : end + 1;
    } else if (text.startsWith("/*", at)) {
      const end = text.indexOf("*/", at + 2);
      at = end === -1 ? text.length : end + 2;
    } else return at;
  }
}

/**
 * `\set`, `\i`, `\connect`: psql runs them, the server does not. When the parser stops at one, say
 * so instead of Postgres's `syntax error at or near "\"`.
 */
function psqlCommandAt(sql: string, cursor: number): string | undefined {
  const command = /^\\([A-Za-z!?]+)/.exec(sql.slice(cursor))?.[1];
  if (command === undefined) return undefined;
  return `\\${command} is a psql meta-command, which Rookery does not run: a migration file is sent to the server as SQL (write the SQL it stands for, or run the file with psql yourself)`;
}

/**
 * Parses a file with the real Postgres parser. A syntax error names the file, line and column.
 * Call `loadParser()` once before (the engine and CLI do it at start).
 */
export function parseStatements(sql: string, file = "<sql>"): Statement[] {
  // The parser refuses "" itself; an empty file is a valid no-op.
  if (sql === "") return [];
  let tree: { stmts?: { stmt: Record<string, Record<string, unknown>>; stmt_location?: number; stmt_len?: number }[] };
  try {
    tree = parseSync(sql) as unknown as typeof tree;
  } catch (error) {
    const details = (error as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
    // Unlike the tree's locations (bytes), the error cursor is a 0-based count of characters.
    const cursor = Math.max(details?.cursorPosition ?? 0, 0);
    const { line, column } = lineAndColumn(sql, cursor);
    throw new SqlSyntaxError(file, line, column, psqlCommandAt(sql, cursor) ?? details?.message ?? (error as Error).message);
  }
  return (tree.stmts ?? []).map((entry) => {
    const start = charOffset(sql, entry.stmt_location ?? 0);
    const end = entry.stmt_len ? charOffset(sql, (entry.stmt_location ?? 0) + entry.stmt_len) : sql.length;
    const offset = firstTokenOffset(sql, start);
    const kind = Object.keys(entry.stmt)[0]!;
    const text = sql.slice(start, end).trim().replace(/;\s*$/, "");
    return { kind, node: entry.stmt[kind]!, sql: text, offset, ...lineAndColumn(sql, offset) };
  });
}

/**
 * Statements Postgres refuses to run inside a transaction block. A migration holding one runs
 * outside a transaction, statement by statement, and says so.
 */
export function isNonTransactional(statement: Statement): boolean {
  const node = statement.node;
  switch (statement.kind) {
    case "IndexStmt":
      return node.concurrent === true;
    case "DropStmt":
    case "ReindexStmt":
      return node.concurrent === true || hasOption(node, "concurrently");
    case "VacuumStmt":
      return node.is_vacuumcmd === true;
    case "CreatedbStmt":
    case "DropdbStmt":
    case "CreateTableSpaceStmt":
    case "DropTableSpaceStmt":
    case "AlterSystemStmt":
      return true;
    case "AlterTableStmt":
      // DETACH PARTITION ... CONCURRENTLY
      return JSON.stringify(node).includes('"concurrent":true');
    case "AlterEnumStmt":
      // ALTER TYPE ... ADD VALUE cannot run in a transaction before Postgres 12; Rookery supports 12+,
      // but the new value cannot be used in the same transaction, so it runs on its own.
      return false;
    default:
      return false;
  }
}

function hasOption(node: Record<string, unknown>, name: string): boolean {
  const params = node.params as { DefElem?: { defname?: string } }[] | undefined;
  return params?.some((param) => param.DefElem?.defname === name) ?? false;
}

export function isTransactionControl(statement: Statement): boolean {
  return statement.kind === "TransactionStmt";
}
