import { isUtf8 } from "node:buffer";
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, type Stats } from "node:fs";
import path from "node:path";
import { RookeryError, UsageError } from "../errors.ts";
import { readChecks } from "./checks.ts";
import { checksumOf, normaliseLineEndings } from "./checksum.ts";
import type { Catalog, Migration, RollbackFile } from "./migration.ts";
import { Version, versionFromLayout } from "./version.ts";

export class CatalogError extends RookeryError {
  readonly problems: string[];

  constructor(dir: string, problems: string[]) {
    super(`the migrations in ${dir} cannot be read:\n${problems.map((problem) => `  ${problem}`).join("\n")}`, {
      hint: "Files are named migrations/YYYY_MM_DD/NNN_name.sql (rollback_NNN_name.sql beside them), or start with `-- version: YYYYMMDD_HHMMSS`.",
    });
    this.problems = problems;
  }
}

const FILE_PATTERN = /^(\d{1,6})_([a-z0-9][a-z0-9_]*)\.sql$/i;
const VERSION_HEADER = /^--\s*version:\s*(\S+)\s*$/i;
const DESCRIPTION_HEADER = /^--\s*description:\s*(.+?)\s*$/i;
const TENANT_HEADER = /^--\s*rookery:tenant-scoped\b/i;
const EXPAND_CONTRACT_HEADER = /^--\s*rookery:expand-contract\b/i;

interface SqlFile {
  relative: string;
  folder: string;
  base: string;
  text: string;
}

/**
 * A file's text, refused when it is not UTF-8: decoding would replace the bad bytes with U+FFFD and
 * apply (and checksum) text the author never wrote. Returns the problem instead of the text then.
 */
function readUtf8(full: string, relative: string): { text: string } | { problem: string } {
  const bytes = readFileSync(full);
  if (isUtf8(bytes)) return { text: normaliseLineEndings(bytes.toString("utf8")).replace(/^\uFEFF/, "") };
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
 * Every .sql file under `dir`. Symbolic links are followed (a link to a folder is walked, once);
 * a .sql entry that cannot be read as a file (a broken link, a socket) is a problem, never skipped.
 */
function listSqlFiles(dir: string, problems: string[], refused: Set<string>): SqlFile[] {
  const files: SqlFile[] = [];
  const walked = new Set<string>();
  const walk = (folder: string) => {
    const real = realpathSync(folder);
    if (walked.has(real)) return;
    walked.add(real);
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(folder, entry.name);
      const relative = path.relative(dir, full).split(path.sep).join("/");
      const isSql = entry.name.toLowerCase().endsWith(".sql");
      let target: Stats | undefined = entry.isSymbolicLink() ? undefined : statSync(full);
      if (entry.isSymbolicLink()) {
        try {
          target = statSync(full);
        } catch {
          if (isSql) problems.push(`${relative}: a symbolic link to ${readlinkSync(full)}, which does not exist`);
          refused.add(relative);
          continue;
        }
      }
      if (target!.isDirectory()) walk(full);
      else if (!isSql) continue;
      else if (!target!.isFile()) {
        problems.push(`${relative}: not a regular file, so it cannot be read as a migration`);
        refused.add(relative);
      } else {
        const read = readUtf8(full, relative);
        if ("problem" in read) {
          problems.push(read.problem);
          refused.add(relative);
        } else files.push({ relative, folder: path.basename(path.dirname(full)), base: entry.name, text: read.text });
      }
    }
  };
  walk(dir);
  return files;
}

/** The leading comment block: directives live only there, never in the SQL below. */
export function headerLines(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (!trimmed.startsWith("--")) break;
    lines.push(trimmed);
  }
  return lines;
}

function words(name: string): string {
  const text = name.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Empty or comments only: a no-op on Postgres (histories written for several databases have many). */
export function isBlank(sql: string): boolean {
  return sql.replace(/--[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "").trim() === "";
}

/**
 * Reads the migrations folder into a catalog. Every problem is collected and reported at once,
 * each naming its file, so one run tells the author everything to fix.
 */
export function readCatalog(dir: string): Catalog {
  if (!existsSync(dir)) {
    throw new UsageError(`migrations folder ${dir} does not exist`, { hint: "Pass --dir DIR or set MIGRATIONS_DIR." });
  }
  if (!statSync(dir).isDirectory()) {
    throw new UsageError(`migrations folder ${dir} is not a directory (it is a file)`, { hint: "Pass the folder that holds the migrations with --dir DIR (or MIGRATIONS_DIR), not one file." });
  }
  const problems: string[] = [];
  const migrations: Migration[] = [];
  const rollbacks = new Map<string, SqlFile>();
  const seen = new Map<string, string>();
  // Migrations refused above: their rollback files are not orphans, and one problem per file is enough.
  const refused = new Set<string>();

  for (const file of listSqlFiles(dir, problems, refused)) {
    if (/^rollback_/i.test(file.base)) {
      rollbacks.set(path.posix.join(path.posix.dirname(file.relative), file.base.slice("rollback_".length)), file);
      continue;
    }
    const header = headerLines(file.text);
    const versionLine = header[0] !== undefined ? VERSION_HEADER.exec(header[0]) : null;
    const layout = FILE_PATTERN.exec(file.base);
    let version: string | undefined;
    if (versionLine) {
      const parsed = Version.safeParse(versionLine[1]);
      if (!parsed.success) {
        problems.push(`${file.relative}: "-- version: ${versionLine[1]}" is not a version like 20251101_143000`);
        refused.add(file.relative);
        continue;
      }
      version = parsed.data;
    } else if (layout) {
      version = versionFromLayout(file.folder, layout[1]!);
    }
    if (!version) {
      problems.push(`${file.relative}: the name fits neither YYYY_MM_DD/NNN_name.sql nor a "-- version: YYYYMMDD_HHMMSS" first line`);
      refused.add(file.relative);
      continue;
    }
    const duplicate = seen.get(version);
    if (duplicate) {
      problems.push(`${file.relative}: version ${version} is already used by ${duplicate}`);
      refused.add(file.relative);
      continue;
    }
    seen.set(version, file.relative);
    const name = layout ? layout[2]! : file.base.replace(/\.sql$/i, "");
    const { checks, problems: checkProblems } = readChecks(file.text, file.relative);
    if (checkProblems.length > 0) {
      problems.push(...checkProblems);
      continue;
    }
    const description = header.map((line) => DESCRIPTION_HEADER.exec(line)?.[1]).find(Boolean) ?? words(name);
    migrations.push({
      version,
      name,
      description,
      path: file.relative,
      sql: file.text,
      checksum: checksumOf(file.text),
      tenantScoped: header.some((line) => TENANT_HEADER.test(line)),
      noOp: isBlank(file.text),
      checks,
      expandContract: header.some((line) => EXPAND_CONTRACT_HEADER.test(line)),
    });
  }

  for (const migration of migrations) {
    const rollback = rollbacks.get(migration.path);
    if (!rollback) continue;
    rollbacks.delete(migration.path);
    const file: RollbackFile = {
      path: rollback.relative,
      sql: rollback.text,
      checksum: checksumOf(rollback.text),
      nothingToUndo: isBlank(rollback.text),
    };
    migration.rollback = file;
  }
  for (const [target, orphan] of rollbacks) {
    if (refused.has(target)) continue;
    problems.push(`${orphan.relative}: a rollback file without its migration (${orphan.base.slice("rollback_".length)} is missing)`);
  }

  if (problems.length > 0) throw new CatalogError(dir, problems);
  migrations.sort((a, b) => a.version.localeCompare(b.version));
  return { dir, migrations, byVersion: new Map(migrations.map((migration) => [migration.version, migration])) };
}
