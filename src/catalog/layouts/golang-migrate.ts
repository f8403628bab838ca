import { versionFromNumber } from "../version-mapping.ts";
import type { Layout, LayoutEntry } from "./layout.ts";

const FILE = /^(\d+)_(.+)\.(up|down)\.sql$/i;

/** golang-migrate: `{version}_{title}.up.sql` and `{version}_{title}.down.sql` side by side. */
export const golangMigrateLayout: Layout = {
  name: "golang-migrate",
  pattern: "NNN_name.up.sql / NNN_name.down.sql",
  claims: (file) => FILE.test(file.base),
  read(files, problems, refused) {
    const ups = new Map<string, LayoutEntry>();
    const downs = new Map<string, { path: string; sql: string; version: string }>();
    // Up files refused for their own reason: their down files are not reported again.
    const refusedUps = new Set<string>();
    for (const file of files) {
      const named = FILE.exec(file.base);
      if (!named) {
        problems.push(`${file.relative}: not a golang-migrate file (${this.pattern})`);
        refused.add(file.relative);
        continue;
      }
      // golang-migrate pairs by version number, not by name.
      const key = `${file.relative.slice(0, file.relative.length - file.base.length)}${BigInt(named[1]!)}`;
      if (named[3]!.toLowerCase() === "up") {
        const mapped = versionFromNumber(named[1]!);
        if ("problem" in mapped) {
          problems.push(`${file.relative}: ${mapped.problem}`);
          refused.add(file.relative);
          refusedUps.add(key);
          continue;
        }
        const other = ups.get(key);
        if (other) {
          problems.push(`${file.relative}: version ${named[1]} is already used by ${other.path}`);
          refused.add(file.relative);
          continue;
        }
        ups.set(key, { version: mapped.version, sourceVersion: named[1]!, name: named[2]!, path: file.relative, sql: file.text });
      } else {
        downs.set(key, { path: file.relative, sql: file.text, version: named[1]! });
      }
    }
    for (const [key, down] of downs) {
      const up = ups.get(key);
      if (up) up.rollback = { path: down.path, sql: down.sql };
      else if (!refusedUps.has(key)) {
        problems.push(`${down.path}: a down file without its up file (no ${down.version}_*.up.sql)`);
      }
    }
    return [...ups.values()];
  },
};
