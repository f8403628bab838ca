import type { Redis } from "ioredis";
import type pg from "pg";
import { describeError } from "../errors.ts";

export interface DependencyCheck {
  name: "postgres" | "redis" | "scheduler";
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

/** The health-poll schedulers this process keeps, when it keeps them (`--scheduler`, `npm start`). */
export interface SchedulerProbe {
  missing(): Promise<string[]>;
}

async function schedulersPresent(scheduler: SchedulerProbe): Promise<void> {
  const missing = await scheduler.missing();
  if (missing.length > 0) {
    throw new Error(`${missing.join(", ")} missing from Redis, so no health poll runs; the scheduler re-creates it within its next round`);
  }
}

/** Ready only when the control database and Redis answer, and Redis holds the schedulers this process keeps. */
export function checkDependencies(pool: pg.Pool, redis: Redis, scheduler?: () => SchedulerProbe | undefined): Promise<DependencyCheck[]> {
  const keeping = scheduler?.();
  return Promise.all([
    probe("postgres", () => pool.query("SELECT 1")),
    probe("redis", () => redis.ping()),
    ...(keeping ? [probe("scheduler", () => schedulersPresent(keeping))] : []),
  ]);
}
