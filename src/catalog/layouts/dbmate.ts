import { versionFromNumber } from "../version-mapping.ts";
import { readOneFileLayout, type Layout } from "./layout.ts";

const UP = /^--\s*migrate:up\b/;
const DOWN = /^--\s*migrate:down\b/;

/** dbmate: `{version}_{name}.sql` holding `-- migrate:up` and then `-- migrate:down`. */
export const dbmateLayout: Layout = {
  name: "dbmate",
  pattern: "<version>_name.sql with -- migrate:up / -- migrate:down",
  claims: (file) => /^\d+_.+\.sql$/i.test(file.base) && file.text.split("\n").some((line) => UP.test(line)),
  read: (files, problems, refused) => readOneFileLayout(files, problems, refused, { up: UP, down: DOWN, what: "dbmate migration" }, versionFromNumber),
};
