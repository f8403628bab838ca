import { expect } from "vitest";
import { expandContractStory } from "../support/expand.ts";

expandContractStory("RENAME TO under expand-contract", {
  setup: "CREATE TABLE clients (id bigint PRIMARY KEY, name text); INSERT INTO clients VALUES (1, 'a')",
  migration: "-- rookery:expand-contract\nALTER TABLE clients RENAME TO customers;\n",
  async whileExpanded(shapes) {
    await shapes.old("INSERT INTO clients VALUES (2, 'old')");
    await shapes.new("INSERT INTO customers VALUES (3, 'new')");
    expect(await shapes.new("SELECT id FROM customers ORDER BY id")).toEqual([{ id: "1" }, { id: "2" }, { id: "3" }]);
    expect(await shapes.old("SELECT name FROM clients WHERE id = 3")).toEqual([{ name: "new" }]);
    await expect(shapes.new("SELECT * FROM clients")).rejects.toThrow(/relation "clients" is renamed to "customers" by version 20251201_000001/);
  },
  async afterAbort(shapes) {
    expect(await shapes.old("SELECT count(*)::int AS n FROM clients")).toEqual([{ n: 3 }]);
  },
  async afterComplete(shapes) {
    expect(await shapes.old("SELECT to_regclass('public.clients') AS old, to_regclass('public.customers')::text AS renamed")).toEqual([{ old: null, renamed: "customers" }]);
    await shapes.new("INSERT INTO customers VALUES (4, 'after')");
  },
});
