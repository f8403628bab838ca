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

// Directives name quoted identifiers as SQL does; before, `"Accounts"."Plan Name" = 'free'` was not read as an
// assignment, and the whole line became the one column-less backfill expression (a comparison, NULL for every NULL row).
expandContractStory("SET NOT NULL of mixed-case columns, with a space, backfilled by directives naming them quoted", {
  setup: `CREATE TABLE "Accounts" (id bigint PRIMARY KEY, "Plan Name" text, "Tier" text);
          INSERT INTO "Accounts" SELECT g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'pro' END, CASE WHEN g % 4 = 0 THEN NULL ELSE 'gold' END FROM generate_series(1, 250) g`,
  migration:
    "-- rookery:expand-contract\n-- rookery:backfill \"Accounts\".\"Plan Name\" = 'free'\n-- rookery:backfill \"Tier\" = 'basic'\n" +
    'ALTER TABLE "Accounts" ALTER COLUMN "Plan Name" SET NOT NULL;\nALTER TABLE "Accounts" ALTER COLUMN "Tier" SET NOT NULL;\n',
  async whileExpanded(shapes) {
    expect(await shapes.old('SELECT "Plan Name" AS plan, "Tier" AS tier FROM "Accounts" WHERE id = 12')).toEqual([{ plan: "free", tier: "basic" }]);
    await shapes.new('INSERT INTO "Accounts" (id) VALUES (1001)');
    expect(await shapes.old('SELECT "Plan Name" AS plan, "Tier" AS tier FROM "Accounts" WHERE id = 1001')).toEqual([{ plan: "free", tier: "basic" }]);
  },
  async afterAbort(shapes) {
    expect(await shapes.old('SELECT count(*)::int AS n FROM "Accounts"')).toEqual([{ n: 251 }]);
  },
  async afterComplete(shapes) {
    expect(await shapes.old(`SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'Accounts' AND column_name <> 'id' ORDER BY column_name`)).toEqual([
      { column_name: "Plan Name", is_nullable: "NO" },
      { column_name: "Tier", is_nullable: "NO" },
    ]);
  },
});
