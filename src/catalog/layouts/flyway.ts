import { versionFromDotted } from "../version-mapping.ts";
import type { Layout, LayoutEntry } from "./layout.ts";

const FILE = /^([VUR])([0-9][0-9._]*)?__(.+)\.sql$/;

/** Flyway: `V<version>__<description>.sql`, its undo beside it as `U<version>__<description>.sql`. */
export const flywayLayout: Layout = {
  name: "flyway",
  pattern: "V<version>__<description>.sql / U<version>__<description>.sql",
  claims: (file) => FILE.test(file.base),
  read(files, problems, refused) {
    const migrations = new Map<string, LayoutEntry>();
    const undos = new Map<string, { path: string; sql: string; raw: string }>();
    for (const file of files) {
      const named = FILE.exec(file.base);
      if (!named) {
        problems.push(`${file.relative}: not a Flyway file (${this.pattern})`);
        refused.add(file.relative);
        continue;
      }
      const [, prefix, raw, description] = named;
      if (prefix === "R" || raw === undefined) {
        problems.push(`${file.relative}: a repeatable (R__) migration has no version, and Rookery runs each migration once; make it a versioned V file`);
        refused.add(file.relative);
        continue;
      }
      const mapped = versionFromDotted(raw);
      if ("problem" in mapped) {
        problems.push(`${file.relative}: ${mapped.problem}`);
        refused.add(file.relative);
        continue;
      }
      if (prefix === "U") {
        undos.set(mapped.version, { path: file.relative, sql: file.text, raw });
        continue;
      }
      const other = migrations.get(mapped.version);
      if (other) {
        problems.push(`${file.relative}: version ${raw} is already used by ${other.path}`);
        refused.add(file.relative);
        continue;
      }
      migrations.set(mapped.version, { version: mapped.version, sourceVersion: raw, name: description!, path: file.relative, sql: file.text });
    }
    for (const [version, undo] of undos) {
      const migration = migrations.get(version);
      if (migration) migration.rollback = { path: undo.path, sql: undo.sql };
      else problems.push(`${undo.path}: an undo file without its migration (no V${undo.raw}__*.sql)`);
    }
    return [...migrations.values()];
  },
};
