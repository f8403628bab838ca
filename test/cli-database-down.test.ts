import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { binEnv, migrationsFolder, rookery, ROOKERY_BIN } from "./support/cli.ts";
import { createTestDatabase } from "./support/services.ts";

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

describe("a newcomer without the services", () => {
  it.each([["start"], ["shell"], ["worker"]])("rookery %s names the control database, masks the password and says how to get one", async (command) => {
    // Redis down too, as on a newcomer's machine: the control database is what stops the start.
    const run = await rookery([command], { DATABASE_URL: DOWN, REDIS_URL: "redis://127.0.0.1:1", MIGRATIONS_DIR: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("cannot connect to the control database at postgres://deployer:***@127.0.0.1:1/app: connect ECONNREFUSED 127.0.0.1:1");
    expect(run.stderr).toContain("docker-compose up -d postgres redis");
    expect(run.stderr).toContain("DATABASE_URL");
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  it("the local shell says Redis does not answer and how to get one, and still starts", async () => {
    const url = await createTestDatabase("clinewcomer");
    const run = await rookery(["start"], { DATABASE_URL: url, REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:1`, MIGRATIONS_DIR: dir }, undefined, "quit\n");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("Redis does not answer");
    expect(run.stdout).toContain("docker-compose up -d postgres redis");
    expect(run.stdout).toContain("REDIS_URL");
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  it("a worker whose Redis does not answer says so once, with how to get one, and waits for it", async () => {
    const url = await createTestDatabase("clinoredis");
    const child = spawn(process.execPath, [ROOKERY_BIN, "worker"], {
      env: { ...binEnv(), DATABASE_URL: url, REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:1`, MIGRATIONS_DIR: dir, LOG_LEVEL: "silent" },
    });
    let stderr = "";
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no warning within 15 s: ${stderr}`)), 15_000);
        child.stderr.on("data", (chunk) => {
          stderr += chunk;
          if (stderr.includes("REDIS_URL")) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      expect(stderr).toContain("rookery worker: Redis at redis://:***@127.0.0.1:1 does not answer; the worker waits for it.");
      expect(stderr).toContain("docker-compose up -d postgres redis");
      expect(stderr).not.toContain(PASSWORD);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill("SIGKILL");
    }
  });
});
