import { CHECK_NAME } from "../config/schema.ts";
import type { MigrationCheck } from "./migration.ts";

const CHECK_LINE = /^\s*--\s*rookery:check\b(.*)$/i;
const CHECK_BODY = /^\s+([^\s:]+)\s*:\s*(.*?)\s*;?\s*$/;

/**
 * `-- rookery:check <name>: <SQL returning one boolean>` lines of a migration file: what the watch after an
 * apply runs besides verify (src/runner/watch.ts). They come from the file's own text, so they are covered
 * by its checksum like the SQL they watch. A malformed line is a problem of the file, not a check skipped.
 */
export function readChecks(text: string, file: string): { checks: MigrationCheck[]; problems: string[] } {
  const checks: MigrationCheck[] = [];
  const problems: string[] = [];
  // Scanning a large file line by line costs as much as reading it: most files have no checks.
  if (!/rookery:check/i.test(text)) return { checks, problems };
  text.split("\n").forEach((line, index) => {
    const directive = CHECK_LINE.exec(line);
    if (!directive) return;
    const where = `${file}:${index + 1}`;
    const body = CHECK_BODY.exec(directive[1]!);
    if (!body || body[2] === "") {
      problems.push(`${where}: a check is written "-- rookery:check NAME: SQL returning one boolean"`);
      return;
    }
    const [, name, sql] = body;
    if (!CHECK_NAME.test(name!)) {
      problems.push(`${where}: check name "${name}" must start with a letter and hold only letters, digits, "_", "-" or "."`);
      return;
    }
    if (checks.some((check) => check.name === name)) {
      problems.push(`${where}: check "${name}" is defined twice in this file`);
      return;
    }
    checks.push({ name: name!, sql: sql!, line: index + 1 });
  });
  return { checks, problems };
}
