import { describe, expect, it } from "vitest";
import { DatabaseUnreachableError } from "../src/db/index.ts";
import { applyMigrations, getStatus } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { runContext, testEnvironment } from "./support/engine.ts";

describe("a database that is down", () => {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  const url = "postgres://deployer:s3cret-pass@127.0.0.1:1/app_production";
  const dir = migrationsFolder({ "2025_11_01/001_a.sql": "CREATE TABLE a (id int);\n" });

  it("fails with a message naming the host and database, never the password", async () => {
    const environment = testEnvironment(url);
    const error = await applyMigrations(runContext(environment, dir)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    const message = (error as Error).message;
    expect(message).toContain("127.0.0.1:1/app_production");
    expect(message).not.toContain("s3cret-pass");
    expect((error as DatabaseUnreachableError).exitCode).toBe(1);
    await expect(getStatus(environment, runContext(environment, dir).catalog)).rejects.toBeInstanceOf(DatabaseUnreachableError);
  });
});
