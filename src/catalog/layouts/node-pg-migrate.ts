import { versionFromNumber } from "../version-mapping.ts";
import { readOneFileLayout, type Layout } from "./layout.ts";

// node-pg-migrate's own markers: `-- Up Migration` and `-- Down Migration`, any case.
const UP = /^\s*--[\s-]*up\s+migration/i;
const DOWN = /^\s*--[\s-]*down\s+migration/i;

/** node-pg-migrate (SQL migrations): `{timestamp}_{name}.sql` holding `-- Up Migration` and then `-- Down Migration`. */
export const nodePgMigrateLayout: Layout = {
  name: "node-pg-migrate",
  pattern: "<timestamp>_name.sql with -- Up Migration / -- Down Migration",
  claims: (file) => /^\d+_.+\.sql$/i.test(file.base) && file.text.split("\n").some((line) => UP.test(line)),
  read: (files, problems, refused) =>
    readOneFileLayout(files, problems, refused, { up: UP, down: DOWN, what: "node-pg-migrate SQL migration" }, versionFromNumber),
};
