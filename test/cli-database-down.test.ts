import { describe, expect, it } from "vitest";
import { migrationsFolder, rookery } from "./support/cli.ts";

// Port 1 on loopback: nothing listens there, the connection is refused at once.
const PASSWORD = "s3cret-Passw0rd";
const DOWN = `postgres://deployer:${PASSWORD}@127.0.0.1:1/app`;
const dir = migrationsFolder({ "2025_11_01/001_a.sql": "CREATE TABLE a (id int);\n" });

describe("a database that is down", () => {
  it.each([["apply", "--all"], ["status"], ["history"], ["verify"], ["health"], ["plan"]])(
    "rookery %s exits 1, names the database and never prints the password",
    async (...args) => {
      const run = await rookery(args, { DATABASE_URL: DOWN, MIGRATIONS_DIR: dir });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("cannot connect to the database at postgres://deployer:***@127.0.0.1:1/app");
      expect(run.stderr).toMatch(/Check that Postgres is running/);
      expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    },
  );

  it("--json reports it as {ok:false, error} without the password", async () => {
    const run = await rookery(["status", "--json"], { DATABASE_URL: DOWN, MIGRATIONS_DIR: dir });
    expect(run.code).toBe(1);
    const body = JSON.parse(run.stdout);
    expect(body).toMatchObject({ ok: false, error: { message: expect.stringContaining("cannot connect") } });
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });
});
