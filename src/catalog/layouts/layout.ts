/** One .sql file of the migrations folder, read as UTF-8 with LF line endings. */
export interface SqlFile {
  /** Path relative to the migrations folder, with `/` separators. */
  relative: string;
  /** The name of the folder holding it (`2025_11_01`). */
  folder: string;
  base: string;
  text: string;
}

/** One migration as a layout reads it, before the checks every layout shares (collisions, headers). */
export interface LayoutEntry {
  /** The ledger's YYYYMMDD_HHMMSS. */
  version: string;
  /** The version as the file names it (`000042`, `1.1`, `20240101120000`): what the other tool's ledger holds. */
  sourceVersion: string;
  /** The migration's name without version and extension. */
  name: string;
  /** The file the migration's SQL is read from. */
  path: string;
  sql: string;
  rollback?: { path: string; sql: string };
  /** The tool's own "run this outside a transaction" (dbmate's `transaction:false`, goose's `NO TRANSACTION`). */
  noTransaction?: boolean;
}

/**
 * A way of laying out migration files: the document's, or another tool's, read in place. `claims`
 * says whether a file is one of this layout's by its name (and, for layouts that keep both
 * directions in one file, its markers), so a folder's layout can be detected and a mixed folder
 * refused. `read` turns the files into entries, pushing one problem per file it cannot read.
 */
export interface Layout {
  name: LayoutName;
  /** What a file of this layout looks like, for messages. */
  pattern: string;
  claims(file: SqlFile): boolean;
  read(files: SqlFile[], problems: string[], refused: Set<string>): LayoutEntry[];
}

export const LAYOUT_NAMES = ["rookery", "golang-migrate", "flyway", "dbmate", "goose", "node-pg-migrate"] as const;
export type LayoutName = (typeof LAYOUT_NAMES)[number];

/**
 * A file's lines that are not blank, trimmed, from its top, read as they are asked for: the header
 * directives are at the top, and splitting a whole file to read them cost as much as reading it.
 */
export function* nonBlankLines(text: string): Generator<string> {
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf("\n", start);
    const line = text.slice(start, end === -1 ? text.length : end).trim();
    start = end === -1 ? text.length : end + 1;
    if (line !== "") yield line;
  }
}

/**
 * Splits a file that holds both directions at marker lines (dbmate's `-- migrate:up` /
 * `-- migrate:down`, goose's `-- +goose Up` / `-- +goose Down`). The up part keeps the file's first
 * lines, so a line number in it is the file's; no down marker means no rollback.
 */
export function splitAtMarkers(text: string, up: RegExp, down: RegExp): { up: string; down?: string } | undefined {
  const lines = text.split("\n");
  const upAt = lines.findIndex((line) => up.test(line));
  const downAt = lines.findIndex((line) => down.test(line));
  if (upAt === -1) return undefined;
  if (downAt === -1) return { up: text };
  if (downAt < upAt) return undefined;
  return { up: lines.slice(0, downAt).join("\n"), down: lines.slice(downAt + 1).join("\n") };
}

/** Entries of a layout that keeps both directions in one file named `<number>_<name>.sql`. */
export function readOneFileLayout(
  files: SqlFile[],
  problems: string[],
  refused: Set<string>,
  markers: { up: RegExp; down: RegExp; what: string; noTransaction?: RegExp },
  mapVersion: (digits: string) => { version: string } | { problem: string },
): LayoutEntry[] {
  const entries: LayoutEntry[] = [];
  for (const file of files) {
    const named = /^(\d+)_(.+)\.sql$/i.exec(file.base);
    const parts = named ? splitAtMarkers(file.text, markers.up, markers.down) : undefined;
    if (!named || !parts) {
      problems.push(`${file.relative}: not a ${markers.what} (<version>_<name>.sql with its up marker before its down marker)`);
      refused.add(file.relative);
      continue;
    }
    const mapped = mapVersion(named[1]!);
    if ("problem" in mapped) {
      problems.push(`${file.relative}: ${mapped.problem}`);
      refused.add(file.relative);
      continue;
    }
    entries.push({
      version: mapped.version,
      sourceVersion: named[1]!,
      name: named[2]!,
      path: file.relative,
      sql: parts.up,
      ...(markers.noTransaction && parts.up.split("\n").some((line) => markers.noTransaction!.test(line)) ? { noTransaction: true } : {}),
      ...(parts.down !== undefined ? { rollback: { path: `${file.relative} (down)`, sql: parts.down } } : {}),
    });
  }
  return entries;
}
