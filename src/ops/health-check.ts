import type { Redis } from "ioredis";
import type pg from "pg";
import { describeError } from "../errors.ts";

export interface DependencyCheck {
  name: "postgres" | "redis";
  ok: boolean;
  error?: string;
}

/** Each check gets this long: a probe that hangs must not hang the probe endpoint. */
const CHECK_TIMEOUT_MS = 2000;

async function probe(name: DependencyCheck["name"], run: () => Promise<unknown>): Promise<DependencyCheck> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { name, ok: true };
  } catch (error) {
    return { name, ok: false, error: describeError(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Ready only when both the control database and Redis answer. */
export function checkDependencies(pool: pg.Pool, redis: Redis): Promise<DependencyCheck[]> {
  return Promise.all([probe("postgres", () => pool.query("SELECT 1")), probe("redis", () => redis.ping())]);
}
