import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
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

  constructor(file: string, line: number, column: number, detail: string, hint = "Fix the SQL; nothing was run.") {
    super(`${file}:${line}:${column}: ${detail}`, { hint });
    this.file = file;
    this.line = line;
    this.column = column;
    this.detail = detail;
  }
}

/**
 * The largest statement Rookery hands the Postgres parser. Parsing takes about 35 times a statement's
 * size in memory (the parser's tree, its JSON, the JavaScript objects), and the WebAssembly parser
 * stops for good near 1 GiB; a file is parsed a group of statements at a time, so only its largest
 * statement counts. docs/migration-files.md documents the limit.
 */
export const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;

/** A file the parser cannot take (a statement over the limit, or the parser itself giving up): not the SQL's fault. */
export class ParserLimitError extends SqlSyntaxError {
  constructor(file: string, line: number, column: number, detail: string) {
    super(file, line, column, detail, "Split the statement (an INSERT of many rows into batches of a few thousand, say); nothing was run. docs/migration-files.md, Large files.");
  }
}

type LibpgQuery = typeof import("libpg-query");

let ready: Promise<void> | undefined;
let parser: LibpgQuery | undefined;

/**
 * The parser is WebAssembly: load it once, then parse synchronously. Importing libpg-query compiles
 * its WebAssembly at once, so it is imported here, by the commands that parse, and not at start-up.
 */
export function loadParser(): Promise<void> {
  // V8 compiles WebAssembly quickly (Liftoff), then again optimized (TurboFan) on background threads:
  // for the parser that second compile was half the CPU of a run that parses 300 small files, and the
  // quick code parsed a 2.4 MB file no slower. The flag is read when the module compiles, which is next.
  if (!ready) setFlagsFromString("--liftoff-only");
  // Required, not imported: libpg-query is CommonJS, and importing it from an ES module went through Node's
  // translation of CommonJS exports, which made loading it and its WebAssembly about 45 ms slower (and 60 ms
  // more CPU) than a require, 4 runs each. A turn later, so the caller's own start (a connect) goes first.
  ready ??= Promise.resolve().then(async () => {
    const loaded = createRequire(import.meta.url)("libpg-query") as LibpgQuery;
    await loaded.loadModule();
    parser = loaded;
  });
  return ready;
}

/**
 * loadParser() for a caller with other work to do meanwhile (connecting, taking a lock): await the
 * result before parsing. A failure is not unhandled while nobody awaits it yet; awaiting rethrows it.
 */
export function startLoadingParser(): Promise<void> {
  const loading = loadParser();
  loading.catch(() => {});
  return loading;
}

function loadedParser(): LibpgQuery {
  if (!parser) throw new Error("the SQL parser is not loaded: await loadParser() before parsing");
  return parser;
}

/** Postgres's parser on `sql`: its tree, or an error with `sqlDetails` (message, cursor position). */
export function parseSync(sql: string): ReturnType<LibpgQuery["parseSync"]> {
  return loadedParser().parseSync(sql);
}

/** Postgres's scanner on `sql`: its tokens, comments and all. */
export function scanSync(sql: string): ReturnType<LibpgQuery["scanSync"]> {
  return loadedParser().scanSync(sql);
}

/**
 * Positions in one file's text, computed once: libpg_query reports byte offsets into the UTF-8,
 * the file is text, and a large file has thousands of statements and findings to place.
 */
class SourcePositions {
  /** Character offset of each byte offset; built on first use, absent when the text is ASCII and both are the same. */
  private charOfByte: Int32Array | undefined | null = null;
  /** Character offset where each line starts. */
  private readonly lineStarts: number[] = [0];

  constructor(private readonly text: string) {
    for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) this.lineStarts.push(at + 1);
  }

  private byteMap(): Int32Array | undefined {
    if (this.charOfByte !== null) return this.charOfByte;
    const text = this.text;
    const byteLength = Buffer.byteLength(text, "utf8");
    if (byteLength === text.length) return (this.charOfByte = undefined);
    const map = new Int32Array(byteLength + 1);
    let byte = 0;
    let char = 0;
    for (const codePoint of text) {
      const bytes = Buffer.byteLength(codePoint, "utf8");
      for (let index = 0; index < bytes; index++) map[byte + index] = char;
      byte += bytes;
      char += codePoint.length;
    }
    map[byte] = char;
    return (this.charOfByte = map);
  }

  charOffset(byteOffset: number): number {
    const map = this.byteMap();
    if (!map) return byteOffset;
    return map[Math.min(Math.max(byteOffset, 0), map.length - 1)]!;
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
  if (positions) {
    // Most recently used last: a large file parsed in groups keeps its own index while the groups come and go.
    recentSources.delete(text);
  } else {
    positions = new SourcePositions(text);
    if (recentSources.size >= 4) recentSources.delete(recentSources.keys().next().value!);
  }
  recentSources.set(text, positions);
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

type ParseTree = { stmts?: { stmt: Record<string, Record<string, unknown>>; stmt_location?: number; stmt_len?: number }[] };

/** Files up to this size are parsed in one call; larger ones a group of statements of about this size at a time. */
const GROUP_CHARS = 256 * 1024;

/**
 * Parses a file with the real Postgres parser. A syntax error names the file, line and column.
 * Call `loadParser()` once before (the engine and CLI do it at start).
 */
export function parseStatements(sql: string, file = "<sql>", keepNode: NodeFilter = keepEveryNode): Statement[] {
  // The parser refuses "" itself; an empty file is a valid no-op.
  if (sql === "") return [];
  if (sql.length <= GROUP_CHARS) return statementsOf(sql, parseText(sql, sql, 0, file), sql, 0, 0, keepNode);
  return parseInGroups(sql, file, keepNode);
}

/**
 * Which statements keep their parse tree (`node`); the others get an empty one. A caller that looks at
 * no INSERT's tree says so, and a data file of many INSERTs keeps a fraction of the memory: the trees
 * are most of it (about 7 KB a statement against a few hundred bytes for the rest).
 */
export type NodeFilter = (kind: string) => boolean;
const keepEveryNode: NodeFilter = () => true;
/** For callers that read no INSERT's tree: the runner and plan outside tenant checks and expand-contract. */
export const dropInsertTrees: NodeFilter = (kind) => kind !== "InsertStmt";

/** One call of the parser on `text`, which starts at character `base` of the file `sql`. */
function parseText(text: string, sql: string, base: number, file: string): ParseTree {
  try {
    return parseSync(text) as unknown as ParseTree;
  } catch (error) {
    const details = (error as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
    if (!details) {
      // Not Postgres's verdict on the SQL: the WebAssembly parser gave up (out of memory, "exit(1)").
      const { line, column } = lineAndColumn(sql, base);
      throw new ParserLimitError(file, line, column, `the Postgres parser could not take the statements from here on (${(error as Error).message}); statements up to ${MAX_STATEMENT_BYTES / 1048576} MiB each are supported`);
    }
    // Unlike the tree's locations (bytes), the error cursor is a 0-based count of characters.
    const cursor = base + Math.max(details.cursorPosition ?? 0, 0);
    const { line, column } = lineAndColumn(sql, cursor);
    throw new SqlSyntaxError(file, line, column, psqlCommandAt(sql, cursor) ?? details.message ?? (error as Error).message);
  }
}

/** The statements of one parsed text that starts at character `base` (and byte `byteBase`) of the file `sql`. */
function statementsOf(text: string, tree: ParseTree, sql: string, base: number, byteBase: number, keepNode: NodeFilter): Statement[] {
  return (tree.stmts ?? []).map((entry) => {
    const start = charOffset(text, entry.stmt_location ?? 0);
    const end = entry.stmt_len ? charOffset(text, (entry.stmt_location ?? 0) + entry.stmt_len) : text.length;
    const offset = base + firstTokenOffset(text, start);
    const kind = Object.keys(entry.stmt)[0]!;
    const node = keepNode(kind) ? entry.stmt[kind]! : {};
    if (byteBase > 0) shiftLocations(node, byteBase);
    const statementText = text.slice(start, end).trim().replace(/;\s*$/, "");
    return { kind, node, sql: statementText, offset, ...lineAndColumn(sql, offset) };
  });
}

/** Locations in a group's tree count bytes from the group's start; the rules expect them from the file's. */
function shiftLocations(node: unknown, byteBase: number): void {
  if (Array.isArray(node)) {
    for (const item of node) shiftLocations(item, byteBase);
  } else if (node !== null && typeof node === "object") {
    const record = node as Record<string, unknown>;
    for (const key in record) {
      const value = record[key];
      if (typeof value === "number") {
        if (key === "location" && value >= 0) record[key] = value + byteBase;
      } else if (typeof value === "object") shiftLocations(value, byteBase);
    }
  }
}

/** Where the next group may end: just after a `;` that ends a line, at or after `from` (or the file's end). */
function groupEnd(sql: string, from: number): number {
  const at = sql.indexOf(";\n", Math.max(from, 0));
  return at === -1 ? sql.length : at + 2;
}

/** A cut that fell inside a statement, a quoted string or a comment: the group must go on to a later cut. */
function cutInsideStatement(error: unknown): boolean {
  return error instanceof SqlSyntaxError && !(error instanceof ParserLimitError) && /unterminated|at end of input/i.test(error.detail);
}

function statementTooLarge(sql: string, start: number, file: string): ParserLimitError {
  const limit = `${MAX_STATEMENT_BYTES / 1048576} MiB`;
  // The statement that starts after the last cut in the group's first stretch is the one that never ends.
  const lastCut = sql.lastIndexOf(";\n", start + GROUP_CHARS);
  const { line, column } = lineAndColumn(sql, firstTokenOffset(sql, lastCut >= start ? lastCut + 2 : start));
  return new ParserLimitError(
    file,
    line,
    column,
    `no statement after this point ends (with a ; at the end of a line) within ${limit}: Rookery gives the Postgres parser statements of up to ${limit} (parsing takes about 35 times a statement's size in memory), or a quote, comment or dollar quote opened here is never closed`,
  );
}

/**
 * A large file, a group of statements at a time, so the parser's memory is bounded by the group's size
 * and not the file's. Groups end after a `;` at the end of a line; a group cut inside a statement (a
 * `;` inside a string, a comment or a function body) fails to parse with "unterminated" or "at end of
 * input", and is extended to the next cut. Every statement is still parsed by Postgres's parser.
 */
function parseInGroups(sql: string, file: string, keepNode: NodeFilter): Statement[] {
  const statements: Statement[] = [];
  let start = 0;
  let byteBase = 0;
  while (start < sql.length) {
    let end = groupEnd(sql, start + GROUP_CHARS);
    let tree: ParseTree;
    for (;;) {
      if (end - start > GROUP_CHARS + MAX_STATEMENT_BYTES) throw statementTooLarge(sql, start, file);
      try {
        tree = parseText(sql.slice(start, end), sql, start, file);
        break;
      } catch (error) {
        if (!cutInsideStatement(error) || end === sql.length) throw error;
        end = groupEnd(sql, start + 2 * (end - start));
      }
    }
    const text = sql.slice(start, end);
    statements.push(...statementsOf(text, tree, sql, start, byteBase, keepNode));
    byteBase += Buffer.byteLength(text, "utf8");
    start = end;
  }
  return statements;
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

/**
 * Every statement isTransactionControl or isNonTransactional flags holds one of these keywords
 * (ABORT, BEGIN, COMMIT, END, PREPARE TRANSACTION, RELEASE, ROLLBACK, SAVEPOINT, START TRANSACTION;
 * CONCURRENTLY, CREATE/DROP DATABASE, ALTER SYSTEM, CREATE/DROP TABLESPACE, VACUUM). Postgres reads
 * a keyword only from its ASCII letters as written, in any case: never from a quoted name, a string,
 * an escape or a comment. So SQL in which none of them occurs, not even inside a longer word, holds
 * no such statement. A longer word (`pending`, `started_at`) or a comment that holds one costs only a parse.
 */
const TRANSACTION_SENSITIVE_KEYWORDS = /abort|begin|commit|end|prepare|release|rollback|savepoint|start|concurrently|database|system|tablespace|vacuum/i;

/**
 * False only when `sql` surely holds no statement that isTransactionControl or isNonTransactional
 * flags, so it can run in one transaction without being parsed. A stored rollback script is SQL that
 * was parsed when its version was applied, and Postgres still checks its syntax when it runs. Loading
 * the parser's WebAssembly and its first parse were a third of the start of a `rollback --last`.
 */
export function mayNeedParseToRun(sql: string): boolean {
  return TRANSACTION_SENSITIVE_KEYWORDS.test(sql);
}
