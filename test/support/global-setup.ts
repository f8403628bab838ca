import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { ensureFreshBuild } from "./build.ts";

/**
 * Real services for every test file. With a Docker engine, throwaway Postgres 15 and Redis 7 containers;
 * without one (as on the development machines), DATABASE_URL / REDIS_URL or the local services.
 */
declare module "vitest" {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    redisUrl: string;
  }
}

async function dockerAnswers(): Promise<boolean> {
  if (process.env.ROOKERY_TEST_NO_DOCKER === "1") return false;
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 5000)),
    ]);
    return true;
  } catch {
    return false;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureFreshBuild();
  // The bin's code caches (bin/rookery.mjs) for the run's child processes: used as users' are, in a folder
  // of the run's own rather than the home of whoever runs the tests (test/support/cli.ts passes it on).
  const compileCache = mkdtempSync(path.join(os.tmpdir(), "rookery-test-compile-cache-"));
  process.env.ROOKERY_COMPILE_CACHE = compileCache;
  const removeCompileCache = () => rmSync(compileCache, { recursive: true, force: true });
  const useEnvServices = Boolean(process.env.DATABASE_URL || process.env.REDIS_URL) || !(await dockerAnswers());
  if (useEnvServices) {
    project.provide("adminDatabaseUrl", process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
    project.provide("redisUrl", process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    return async () => removeCompileCache();
  }
  const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
  const { RedisContainer } = await import("@testcontainers/redis");
  const [postgres, redis] = await Promise.all([
    new PostgreSqlContainer("postgres:15").withUsername("postgres").withPassword("postgres").start(),
    new RedisContainer("redis:7").start(),
  ]);
  project.provide("adminDatabaseUrl", postgres.getConnectionUri());
  project.provide("redisUrl", redis.getConnectionUrl());
  return async () => {
    await Promise.all([postgres.stop(), redis.stop()]);
    removeCompileCache();
  };
}
