import { versionFromNumber } from "../version-mapping.ts";
import { readOneFileLayout, type Layout } from "./layout.ts";

const UP = /^--\s*migrate:up\b/;
const DOWN = /^--\s*migrate:down\b/;
// `-- migrate:up transaction:false`: dbmate runs the up part outside a transaction (ALTER TYPE ... ADD VALUE, then using it).
const NO_TRANSACTION = /^--\s*migrate:up\b.*\btransaction:false\b/;

/** dbmate: `{version}_{name}.sql` holding `-- migrate:up` and then `-- migrate:down`. */
export const dbmateLayout: Layout = {
  name: "dbmate",
  pattern: "<version>_name.sql with -- migrate:up / -- migrate:down",
  claims: (file) => /^\d+_.+\.sql$/i.test(file.base) && file.text.split("\n").some((line) => UP.test(line)),
  read: (files, problems, refused) => readOneFileLayout(files, problems, refused, { up: UP, down: DOWN, what: "dbmate migration", noTransaction: NO_TRANSACTION }, versionFromNumber),
};
