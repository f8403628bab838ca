import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeMigration, loadParser } from "../src/analysis/index.ts";
import { readCatalog } from "../src/catalog/index.ts";

const EXAMPLES = path.resolve(import.meta.dirname, "../migrations");

describe("the example migrations", () => {
  beforeAll(async () => {
    await loadParser();
  });

  it.each(readCatalog(EXAMPLES).migrations.map((migration) => [migration.path, migration] as const))(
    "%s is written the zero-downtime way: no lint finding, nothing suppressed",
    (_path, migration) => {
      const analysis = analyzeMigration(migration);
      expect(analysis.findings).toEqual([]);
      expect(analysis.suppressed).toEqual([]);
      expect(analysis.type).not.toBe("DDL Delete");
    },
  );
});
