import { isUtf8 } from "node:buffer";
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, type Dirent, type Stats } from "node:fs";
import path from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { RookeryError, UsageError } from "../errors.ts";
import { readChecks } from "./checks.ts";
import { checksumOf, normaliseLineEndings } from "./checksum.ts";
import { layoutOf, nonBlankLines, type LayoutName, type SqlFile } from "./layouts/index.ts";
import type { Catalog, Migration } from "./migration.ts";
import { compareSourceVersions } from "./version-mapping.ts";

export class CatalogError extends RookeryError {
  readonly problems: string[];

  constructor(dir: string, problems: string[]) {
    super(`the migrations in ${dir} cannot be read:\n${problems.map((problem) => `  ${problem}`).join("\n")}`, {
      hint: "Files are named migrations/YYYY_MM_DD/NNN_name.sql (rollback_NNN_name.sql beside them), or start with `-- version: YYYYMMDD_HHMMSS`; another tool's layout (golang-migrate, Flyway, dbmate, goose, node-pg-migrate) is read in place (docs/migration-files.md).",
    });
    this.problems = problems;
  }
}

const DESCRIPTION_HEADER = /^--\s*description:\s*(.+?)\s*$/i;
const TENANT_HEADER = /^--\s*rookery:tenant-scoped\b/i;
const EXPAND_CONTRACT_HEADER = /^--\s*rookery:expand-contract\b/i;

/**
 * A file's text, refused when it is not UTF-8: decoding would replace the bad bytes with U+FFFD and
 * apply (and checksum) text the author never wrote. Returns the problem instead of the text then.
 */
function readUtf8(full: string, relative: string): { text: string } | { problem: string } {
  const bytes = readFileSync(full);
  if (isUtf8(bytes)) {
    const text = normaliseLineEndings(bytes.toString("utf8"));
    return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  }
  // Everything before the first replacement that is not an encoded U+FFFD decoded exactly, so its byte length is the offset.
  const decoded = bytes.toString("utf8");
  let offset = 0;
  for (let index = decoded.indexOf("\uFFFD"); index !== -1; index = decoded.indexOf("\uFFFD", index + 1)) {
    offset = Buffer.byteLength(decoded.slice(0, index), "utf8");
    if (!(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) break;
  }
  const line = bytes.subarray(0, offset).toString("utf8").split("\n").length;
  return {
    problem: `${relative}: not valid UTF-8 at byte ${offset} (line ${line}, byte 0x${bytes[offset]!.toString(16).padStart(2, "0")}); save the file as UTF-8 (e.g. \`iconv -f latin1 -t utf-8\`)`,
  };
}

/**
 * Names in the order `localeCompare` gives them. ICU's collator costs 10-15 ms to create, more than the
 * rest of a 600-file listing: names of lower-case letters, digits and `_-.` (every layout's usual names)
 * are compared by the same weights here (punctuation `_` `-` `.`, then digits, then letters; a prefix first)
 * while the locale is C, POSIX or English, whose collation is the root one for these characters; any
 * other name or locale goes to `localeCompare`.
 */
const COLLATION_RANK = (() => {
  const rank = new Uint8Array(128);
  [..."_-.0123456789abcdefghijklmnopqrstuvwxyz"].forEach((character, index) => (rank[character.charCodeAt(0)] = index + 1));
  return rank;
})();
const ROOT_COLLATION = [process.env.LC_ALL, process.env.LC_COLLATE, process.env.LC_MESSAGES, process.env.LANG].every(
  (locale) => !locale || /^(C|POSIX|en)([._@-]|$)/.test(locale),
);

export function compareNames(a: string, b: string): number {
  if (ROOT_COLLATION) {
    const length = Math.min(a.length, b.length);
    let index = 0;
    for (; index < length; index++) {
      const left = COLLATION_RANK[a.charCodeAt(index)] ?? 0;
      const right = COLLATION_RANK[b.charCodeAt(index)] ?? 0;
      if (left === 0 || right === 0) break;
      if (left !== right) return left - right;
    }
    if (index === length && isRanked(a, index) && isRanked(b, index)) return a.length - b.length;
  }
  return a.localeCompare(b);
}

function isRanked(text: string, from: number): boolean {
  for (let index = from; index < text.length; index++) if (!COLLATION_RANK[text.charCodeAt(index)]) return false;
  return true;
}

/**
 * Every .sql file under `dir`. Symbolic links are followed (a link to a folder is walked, once);
 * a .sql entry that cannot be read as a file (a broken link, a socket) is a problem, never skipped.
 * The directory entries say what each is: only links are stat'ed.
 */
function* listSqlFiles(dir: string, problems: string[], refused: Set<string>): Generator<void, SqlFile[]> {
  const files: SqlFile[] = [];
  const walked = new Set<string>();
  function* walk(folder: string, relativeFolder: string): Generator<void> {
    const real = realpathSync(folder);
    if (walked.has(real)) return;
    walked.add(real);
    const base = path.basename(folder);
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => compareNames(a.name, b.name))) {
      const full = path.join(folder, entry.name);
      const relative = relativeFolder === "" ? entry.name : `${relativeFolder}/${entry.name}`;
      const isSql = entry.name.toLowerCase().endsWith(".sql");
      let target: Stats | Dirent = entry;
      if (entry.isSymbolicLink()) {
        try {
          target = statSync(full);
        } catch {
          if (isSql) problems.push(`${relative}: a symbolic link to ${readlinkSync(full)}, which does not exist`);
          refused.add(relative);
          continue;
        }
      }
      if (target.isDirectory()) yield* walk(full, relative);
      else if (!isSql) continue;
      else if (!target.isFile()) {
        problems.push(`${relative}: not a regular file, so it cannot be read as a migration`);
        refused.add(relative);
      } else {
        const read = readUtf8(full, relative);
        if ("problem" in read) {
          problems.push(read.problem);
          refused.add(relative);
        } else files.push({ relative, folder: base, base: entry.name, text: read.text });
        yield;
      }
    }
  }
  yield* walk(dir, "");
  return files;
}

/** `-- rookery:expand-contract` in the file's header (src/expand/). */
export function isExpandContract(text: string): boolean {
  return headerLines(text).some((line) => EXPAND_CONTRACT_HEADER.test(line));
}

/** The leading comment block: directives live only there, never in the SQL below. */
export function headerLines(text: string): string[] {
  const lines: string[] = [];
  for (const line of nonBlankLines(text)) {
    if (!line.startsWith("--")) break;
    lines.push(line);
  }
  return lines;
}

function words(name: string): string {
  const text = name.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Empty or comments only: a no-op on Postgres (histories written for several databases have many). */
export function isBlank(sql: string): boolean {
  // A first visible character that cannot open a comment stays when the comments are removed: most files.
  const first = /\S/.exec(sql)?.[0];
  if (first === undefined) return true;
  if (first !== "-" && first !== "/") return false;
  return sql.replace(/--[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "").trim() === "";
}

/** Mapped versions must run in the order the other tool runs the files: a mapping that reorders two is named. */
function orderProblems(migrations: Migration[]): string[] {
  const problems: string[] = [];
  for (let index = 1; index < migrations.length; index++) {
    const [before, after] = [migrations[index - 1]!, migrations[index]!];
    if (compareSourceVersions(before.origin.version, after.origin.version) > 0) {
      problems.push(
        `${before.path}: version ${before.origin.version} maps onto ${before.version}, before ${after.path} (${after.origin.version} maps onto ${after.version}), which runs first; renumber one of them`,
      );
    }
  }
  return problems;
}

/**
 * Reads the migrations folder into a catalog, in the folder's layout (the document's, or another
 * tool's read in place: `layout`, detected when "auto"). Every problem is collected and reported at
 * once, each naming its file, so one run tells the author everything to fix.
 */
export function readCatalog(dir: string, layoutName: LayoutName | "auto" = "auto"): Catalog {
  checkFolder(dir);
  const steps = catalogSteps(dir, layoutName);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Read for this long, then let the event loop in: short next to a round trip. */
const TURN_MS = 4;

/**
 * `readCatalog` a few milliseconds at a time, so a command that reads the database too (status) has the
 * round trips of its session answered while the files are read, instead of one waiting for the other.
 * The same catalog and the same errors, as a promise.
 */
export function readCatalogInTurns(dir: string, layoutName: LayoutName | "auto" = "auto"): Promise<Catalog> {
  // A folder that is missing (or a file) throws here, before the caller connects anywhere.
  checkFolder(dir);
  return stepInTurns(catalogSteps(dir, layoutName));
}

async function stepInTurns(steps: Generator<void, Catalog>): Promise<Catalog> {
  let turnStarted = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - turnStarted > TURN_MS) {
      await nextTurn();
      turnStarted = performance.now();
    }
  }
}

function checkFolder(dir: string): void {
  if (!existsSync(dir)) {
    throw new UsageError(`migrations folder ${dir} does not exist`, { hint: "Pass --dir DIR or set MIGRATIONS_DIR." });
  }
  if (!statSync(dir).isDirectory()) {
    throw new UsageError(`migrations folder ${dir} is not a directory (it is a file)`, { hint: "Pass the folder that holds the migrations with --dir DIR (or MIGRATIONS_DIR), not one file." });
  }
}

/** The catalog read (of a folder `checkFolder` accepted), one step per file and per migration. */
function* catalogSteps(dir: string, layoutName: LayoutName | "auto"): Generator<void, Catalog> {
  const problems: string[] = [];
  // Files refused for their own reason: what belongs to them (a rollback) is not reported again.
  const refused = new Set<string>();
  const files = yield* listSqlFiles(dir, problems, refused);
  const layout = layoutOf(files, layoutName, dir);
  const migrations: Migration[] = [];
  const seen = new Map<string, string>();
  for (const entry of layout.read(files, problems, refused)) {
    const duplicate = seen.get(entry.version);
    if (duplicate) {
      const mapped = entry.sourceVersion === entry.version ? "" : ` (${entry.sourceVersion} maps onto it)`;
      problems.push(`${entry.path}: version ${entry.version}${mapped} is already used by ${duplicate}`);
      continue;
    }
    seen.set(entry.version, entry.path);
    yield;
    const header = headerLines(entry.sql);
    const { checks, problems: checkProblems } = readChecks(entry.sql, entry.path);
    if (checkProblems.length > 0) {
      problems.push(...checkProblems);
      continue;
    }
    migrations.push({
      version: entry.version,
      name: entry.name,
      description: header.map((line) => DESCRIPTION_HEADER.exec(line)?.[1]).find(Boolean) ?? words(entry.name),
      path: entry.path,
      sql: entry.sql,
      checksum: checksumOf(entry.sql),
      tenantScoped: header.some((line) => TENANT_HEADER.test(line)),
      noTransaction: entry.noTransaction === true,
      noOp: isBlank(entry.sql),
      checks,
      expandContract: header.some((line) => EXPAND_CONTRACT_HEADER.test(line)),
      origin: { layout: layout.name, version: entry.sourceVersion },
      ...(entry.rollback
        ? { rollback: { ...entry.rollback, checksum: checksumOf(entry.rollback.sql), nothingToUndo: isBlank(entry.rollback.sql) } }
        : {}),
    });
  }
  migrations.sort((a, b) => compareNames(a.version, b.version));
  if (layout.name !== "rookery") problems.push(...orderProblems(migrations));
  if (problems.length > 0) throw new CatalogError(dir, problems);
  return { dir, layout: layout.name, migrations, byVersion: new Map(migrations.map((migration) => [migration.version, migration])) };
}
