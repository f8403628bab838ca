import { expect } from "vitest";
import { expandContractStory } from "../support/expand.ts";

expandContractStory("SET NOT NULL under expand-contract, NULLs filled by the backfill", {
  setup: "CREATE TABLE accounts (id bigint PRIMARY KEY, plan text); INSERT INTO accounts SELECT g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'pro' END FROM generate_series(1, 250) g",
  migration: "-- rookery:expand-contract\n-- rookery:backfill plan = 'free'\nALTER TABLE accounts ALTER COLUMN plan SET NOT NULL;\n",
  async whileExpanded(shapes) {
    expect(await shapes.old("SELECT count(*)::int AS n FROM accounts WHERE plan IS NULL")).toEqual([{ n: 0 }]);
    expect(await shapes.old("SELECT plan FROM accounts WHERE id = 3")).toEqual([{ plan: "free" }]);
    // The old release still writes NULL: it gets the backfill's value instead of an error.
    await shapes.old("INSERT INTO accounts (id, plan) VALUES (1001, NULL)");
    await shapes.new("INSERT INTO accounts (id) VALUES (1002)");
    expect(await shapes.new("SELECT id, plan FROM accounts WHERE id > 1000 ORDER BY id")).toEqual([{ id: "1001", plan: "free" }, { id: "1002", plan: "free" }]);
  },
  async afterAbort(shapes) {
    expect(await shapes.old("SELECT count(*)::int AS n FROM accounts")).toEqual([{ n: 252 }]);
    await shapes.old("INSERT INTO accounts (id, plan) VALUES (1003, NULL)");
  },
  async afterComplete(shapes) {
    expect(await shapes.old("SELECT is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'accounts' AND column_name = 'plan'")).toEqual([{ is_nullable: "NO" }]);
    await expect(shapes.old("INSERT INTO accounts (id, plan) VALUES (1004, NULL)")).rejects.toThrow(/null value/);
    expect(await shapes.old("SELECT conname FROM pg_constraint WHERE conrelid = 'accounts'::regclass AND contype = 'c'")).toEqual([]);
  },
});
