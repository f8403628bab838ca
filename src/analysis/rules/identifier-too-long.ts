import { scanSync } from "../parse.ts";
import type { Rule } from "../types.ts";

/** Postgres's NAMEDATALEN - 1: a longer name is cut to its first 63 bytes, with only a NOTICE. */
const MAX_BYTES = 63;

/** Identifiers as written: the parse tree holds them already cut, so the statement's own tokens are read. */
function identifiers(sql: string): string[] {
  const { tokens } = scanSync(sql) as { tokens: { text: string; tokenName: string }[] };
  return tokens
    .filter((token) => token.tokenName === "IDENT")
    .map((token) => (token.text.startsWith('"') ? token.text.slice(1, -1).replace(/""/g, '"') : token.text.toLowerCase()));
}

export const identifierTooLong: Rule = {
  id: "identifier-too-long",
  severity: "error",
  why: "Postgres cuts names longer than 63 bytes without an error: the object gets another name than the code uses, and two long names can collide.",
  safeWay: "Keep every table, column, index and constraint name at most 63 bytes.",
  check: ({ migration }) =>
    migration.statements.flatMap((statement) =>
      [...new Set(identifiers(statement.sql))]
        .filter((name) => Buffer.byteLength(name, "utf8") > MAX_BYTES)
        .map((name) => ({
          statement,
          message: `${name} is ${Buffer.byteLength(name, "utf8")} bytes: Postgres names it ${Buffer.from(name, "utf8").subarray(0, MAX_BYTES).toString("utf8")} instead`,
        })),
    ),
};
