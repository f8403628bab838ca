import { setTimeout as sleep } from "node:timers/promises";
import type { Environment } from "../config/index.ts";
import type { ProgressListener } from "./context.ts";

const BASE_DELAY_MS = 250;
/**
 * Capped low: with lockTimeout 500 ms and 10 retries the whole patience stays about 15 s (it was
 * 2 s x 6 tries plus longer waits), and a blocked lock is tried again at least every 2 s.
 */
const MAX_DELAY_MS = 2000;

export function isLockTimeout(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === "55P03";
}

/** Exponential backoff with jitter, so two waiting runners do not retry in step. */
export function backoffDelay(attempt: number, random = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class LockRetriesExhausted extends Error {
  readonly retries: number;
  readonly lastError: unknown;

  constructor(retries: number, lastError: unknown) {
    super(`${(lastError as Error).message} (gave up after ${retries} retries)`);
    this.retries = retries;
    this.lastError = lastError;
  }
}

/**
 * Runs `attempt` and, when it gave up waiting for a lock (SQLSTATE 55P03), runs it again up to
 * environment.lockRetries times. Every other error goes straight to the caller. `firstFailure` is the
 * lock timeout of a first try made elsewhere: the retries follow it as if `attempt` had thrown it.
 */
export async function withLockRetries<T>(
  environment: Environment,
  label: { version: string; onProgress?: ProgressListener },
  attempt: (retry: number) => Promise<T>,
  firstFailure?: unknown,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      if (retry === 0 && firstFailure !== undefined) throw firstFailure;
      return await attempt(retry);
    } catch (error) {
      if (!isLockTimeout(error)) throw error;
      if (retry >= environment.lockRetries) throw new LockRetriesExhausted(retry, error);
      const delay = backoffDelay(retry);
      await label.onProgress?.({
        step: "retry",
        version: label.version,
        message: `${label.version}: lock not granted in time; retry ${retry + 1}/${environment.lockRetries} in ${delay} ms`,
        detail: { retry: retry + 1, delayMs: delay },
      });
      await sleep(delay);
    }
  }
}
