import { versionFromNumber } from "../version-mapping.ts";
import { readOneFileLayout, type Layout } from "./layout.ts";

const UP = /^--\s*\+goose\s+Up\b/i;
const DOWN = /^--\s*\+goose\s+Down\b/i;
// `-- +goose NO TRANSACTION`: goose runs the file outside a transaction.
const NO_TRANSACTION = /^--\s*\+goose\s+NO\s+TRANSACTION\b/i;

/** goose (SQL migrations): `{version}_{name}.sql` holding `-- +goose Up` and then `-- +goose Down`. */
export const gooseLayout: Layout = {
  name: "goose",
  pattern: "<version>_name.sql with -- +goose Up / -- +goose Down",
  claims: (file) => /^\d+_.+\.sql$/i.test(file.base) && file.text.split("\n").some((line) => UP.test(line)),
  read: (files, problems, refused) => readOneFileLayout(files, problems, refused, { up: UP, down: DOWN, what: "goose SQL migration", noTransaction: NO_TRANSACTION }, versionFromNumber),
};
