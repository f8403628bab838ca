import { describe, expect, it } from "vitest";
import { completeExpansion } from "../../src/expand/index.ts";
import { applyMigrations, rollbackMigration } from "../../src/runner/index.ts";
import { compareSnapshots } from "../../src/runner/schema-snapshot.ts";
import { migrationsFolder } from "../support/cli.ts";
import { runContext, testEnvironment } from "../support/engine.ts";
import { expandContractStory, queryAs, schemaOf } from "../support/expand.ts";
import { createTestDatabase, query } from "../support/services.ts";

const VERSION = "20251201_000001";
const NEW = `rookery_${VERSION},public`;

describe("ALTER COLUMN TYPE under expand-contract", async () => {
  const url = await createTestDatabase("exp-type");
  await query(url, "CREATE TABLE orders (id bigint PRIMARY KEY, amount integer NOT NULL DEFAULT 0, note text); CREATE INDEX orders_amount_idx ON orders (amount, id DESC); INSERT INTO orders SELECT g, g * 10, 'n' || g FROM generate_series(1, 2500) g");
  const dir = migrationsFolder({
    "2025_12_01/001_amount_to_numeric.sql":
      "-- rookery:expand-contract\n-- rookery:down amount = round(amount)::integer\nALTER TABLE orders ALTER COLUMN amount TYPE numeric(12,2) USING amount / 10.0;\n",
  });
  const environment = testEnvironment(url, { backfillBatchSize: 1000 });
  const before = await schemaOf(url);

  it("expands: the old shape is unchanged, the new version sees the converted values through its view", async () => {
    const report = await applyMigrations(runContext(environment, dir), { versions: [VERSION] });
    expect(report.failed).toBeUndefined();
    const old = await query(url, "SELECT amount FROM orders WHERE id = 25");
    expect(old[0]?.amount).toBe(250);
    const viaNew = await queryAs(url, NEW, "SELECT amount FROM orders WHERE id = 25");
    expect(viaNew[0]?.amount).toBe("25.00");
    const unconverted = await query(url, "SELECT count(*)::int AS n FROM orders WHERE _rookery_amount IS NULL");
    expect(unconverted[0]?.n).toBe(0);
    expect(await query(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'orders' AND schemaname = 'public' ORDER BY indexname")).toEqual([
      { indexname: "_rookery_orders_amount_idx" },
      { indexname: "orders_amount_idx" },
      { indexname: "orders_pkey" },
    ]);
  });

  it("keeps writes through either shape visible through the other", async () => {
    await query(url, "INSERT INTO orders (id, amount) VALUES (9001, 70)");
    await queryAs(url, NEW, "INSERT INTO orders (id, amount) VALUES (9002, 3.4)");
    await queryAs(url, NEW, "UPDATE orders SET amount = 12.6 WHERE id = 1");
    await query(url, "UPDATE orders SET amount = 990 WHERE id = 2");
    expect(await queryAs(url, NEW, "SELECT id, amount FROM orders WHERE id IN (2, 9001) ORDER BY id")).toEqual([{ id: "2", amount: "99.00" }, { id: "9001", amount: "7.00" }]);
    expect(await query(url, "SELECT id, amount FROM orders WHERE id IN (1, 9002) ORDER BY id")).toEqual([{ id: "1", amount: 13 }, { id: "9002", amount: 3 }]);
    // A new-release insert that leaves the column out gets its default, in both shapes.
    await queryAs(url, NEW, "INSERT INTO orders (id) VALUES (9003)");
    expect(await query(url, "SELECT amount, _rookery_amount FROM orders WHERE id = 9003")).toEqual([{ amount: 0, _rookery_amount: "0.00" }]);
  });

  it("aborts back to exactly the old schema, keeping the rows written meanwhile", async () => {
    await rollbackMigration(runContext(environment, dir), { version: VERSION, reason: "try again later" });
    expect(compareSnapshots(before, await schemaOf(url), "after abort")).toEqual([]);
    expect(await query(url, "SELECT id, amount FROM orders WHERE id IN (9001, 9002) ORDER BY id")).toEqual([{ id: "9001", amount: 70 }, { id: "9002", amount: 3 }]);
    expect((await query(url, "SELECT status FROM schema_migrations WHERE version = $1", [VERSION]))[0]?.status).toBe("rolled_back");
  });

  it("expands again and completes: the table takes the new type, the new version's schema keeps working", async () => {
    const again = await applyMigrations(runContext(environment, dir), { versions: [VERSION] });
    expect(again.failed).toBeUndefined();
    await completeExpansion(runContext(environment, dir), { version: VERSION });
    const column = await query(url, "SELECT data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'orders' AND column_name = 'amount'");
    expect(column).toEqual([{ data_type: "numeric", is_nullable: "NO", column_default: "(0)::numeric(12,2)" }]);
    expect(await query(url, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'orders' AND column_name LIKE '_rookery%'")).toEqual([]);
    // The index on the column was rebuilt on the new one, concurrently while expanded, and has its name back.
    expect(await query(url, "SELECT indexdef FROM pg_indexes WHERE tablename = 'orders' AND indexname = 'orders_amount_idx'")).toEqual([
      { indexdef: "CREATE INDEX orders_amount_idx ON public.orders USING btree (amount, id DESC)" },
    ]);
    expect(await query(url, "SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'orders'::regclass AND NOT tgisinternal")).toEqual([{ n: 0 }]);
    expect((await queryAs(url, NEW, "SELECT amount FROM orders WHERE id = 25"))[0]?.amount).toBe("25.00");
    await queryAs(url, NEW, "INSERT INTO orders (id, amount) VALUES (9004, 1.25)");
    expect((await query(url, "SELECT amount FROM orders WHERE id = 9004"))[0]?.amount).toBe("1.25");
  });
});

// The table's own BEFORE trigger changes the column on every write; the sync trigger fires after it (Postgres fires
// them in name order), so what it copies to the new column is the value the row is stored with. Before, it fired
// first: the old release's writes reached the new column un-normalized, and complete kept that value.
expandContractStory("ALTER COLUMN TYPE of a column the table's own BEFORE trigger normalizes", {
  setup: `CREATE TABLE people (id integer PRIMARY KEY, email varchar(50));
          CREATE FUNCTION lower_email() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.email := lower(NEW.email); RETURN NEW; END $$;
          CREATE TRIGGER users_lower_email BEFORE INSERT OR UPDATE ON people FOR EACH ROW EXECUTE FUNCTION lower_email();
          INSERT INTO people SELECT g, 'P' || g || '@X' FROM generate_series(1, 250) g`,
  migration: "-- rookery:expand-contract\nALTER TABLE people ALTER COLUMN email TYPE text;\n",
  async whileExpanded(shapes) {
    await shapes.old("INSERT INTO people VALUES (1001, 'OLD@SHAPE')");
    await shapes.old("UPDATE people SET email = 'UPDATED@OLD' WHERE id = 7");
    expect(await shapes.new("SELECT id, email FROM people WHERE id IN (7, 12, 1001) ORDER BY id")).toEqual([
      { id: 7, email: "updated@old" },
      { id: 12, email: "p12@x" },
      { id: 1001, email: "old@shape" },
    ]);
  },
  async afterAbort(shapes) {
    expect(await shapes.old("SELECT email FROM people WHERE id = 1001")).toEqual([{ email: "old@shape" }]);
  },
  async afterComplete(shapes) {
    await shapes.old("INSERT INTO people VALUES (1002, 'AGAIN@OLD')");
    expect(await shapes.old("SELECT id, email FROM people WHERE id IN (7, 1001, 1002) ORDER BY id")).toEqual([
      { id: 7, email: "updated@old" },
      { id: 1001, email: "old@shape" },
      { id: 1002, email: "again@old" },
    ]);
  },
});

// An index whose name needs quotes (pg_get_indexdef writes it "Code Idx"); before, its copy kept the original's name
// and the build failed: relation "Code Idx" already exists.
expandContractStory("ALTER COLUMN TYPE of a column whose index has a name with a space", {
  setup: `CREATE TABLE "Codes" (id bigint PRIMARY KEY, "Code Value" integer); CREATE INDEX "Code Idx" ON "Codes" ("Code Value");
          INSERT INTO "Codes" SELECT g, g FROM generate_series(1, 250) g`,
  migration: '-- rookery:expand-contract\nALTER TABLE "Codes" ALTER COLUMN "Code Value" TYPE bigint;\n',
  async whileExpanded(shapes) {
    expect(await shapes.old(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'Codes' AND indexname LIKE '%Code Idx' ORDER BY indexname`)).toEqual([
      { indexname: "Code Idx", indexdef: 'CREATE INDEX "Code Idx" ON public."Codes" USING btree ("Code Value")' },
      { indexname: "_rookery_Code Idx", indexdef: 'CREATE INDEX "_rookery_Code Idx" ON public."Codes" USING btree ("_rookery_Code Value")' },
    ]);
  },
  async afterAbort(shapes) {
    expect(await shapes.old(`SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'Codes'`)).toEqual([{ n: 2 }]);
  },
  async afterComplete(shapes) {
    expect(await shapes.old(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'Codes' AND indexname LIKE '%Code Idx'`)).toEqual([
      { indexname: "Code Idx", indexdef: 'CREATE INDEX "Code Idx" ON public."Codes" USING btree ("Code Value")' },
    ]);
  },
});
