import path from "node:path";
import { Version, versionFromLayout } from "../version.ts";
import { nonBlankLines, type Layout, type LayoutEntry, type SqlFile } from "./layout.ts";

const FILE_PATTERN = /^(\d{1,6})_([a-z0-9][a-z0-9_]*)\.sql$/i;
const VERSION_HEADER = /^--\s*version:\s*(\S+)\s*$/i;

function firstHeaderLine(text: string): string | undefined {
  for (const line of nonBlankLines(text)) return line;
  return undefined;
}

const isRollback = (file: SqlFile) => /^rollback_/i.test(file.base);

/**
 * The design document's layout: `YYYY_MM_DD/NNN_name.sql` (version = the folder's date and the
 * sequence number) or any name with a `-- version: YYYYMMDD_HHMMSS` first line, and
 * `rollback_<same name>.sql` beside it.
 */
export const rookeryLayout: Layout = {
  name: "rookery",
  pattern: "YYYY_MM_DD/NNN_name.sql with rollback_NNN_name.sql, or a \"-- version: YYYYMMDD_HHMMSS\" first line",
  claims: (file) =>
    isRollback(file) ||
    Boolean(FILE_PATTERN.exec(file.base) && versionFromLayout(file.folder, FILE_PATTERN.exec(file.base)![1]!)) ||
    VERSION_HEADER.test(firstHeaderLine(file.text) ?? ""),
  read(files, problems, refused) {
    const entries: LayoutEntry[] = [];
    const rollbacks = new Map<string, SqlFile>();
    for (const file of files) {
      if (isRollback(file)) {
        rollbacks.set(path.posix.join(path.posix.dirname(file.relative), file.base.slice("rollback_".length)), file);
        continue;
      }
      const versionLine = VERSION_HEADER.exec(firstHeaderLine(file.text) ?? "");
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
      entries.push({
        version,
        sourceVersion: version,
        name: layout ? layout[2]! : file.base.replace(/\.sql$/i, ""),
        path: file.relative,
        sql: file.text,
      });
    }
    const byPath = new Map(entries.map((entry) => [entry.path, entry]));
    for (const [target, rollback] of rollbacks) {
      const entry = byPath.get(target);
      if (entry) entry.rollback = { path: rollback.relative, sql: rollback.text };
      // A migration refused for its own reason: one problem per file is enough.
      else if (!refused.has(target)) {
        problems.push(`${rollback.relative}: a rollback file without its migration (${rollback.base.slice("rollback_".length)} is missing)`);
      }
    }
    return entries;
  },
};
