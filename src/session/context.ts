import type { Catalog } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";

/**
 * The engine's contract with whoever drives it: the CLI, the queue worker, tests.
 * It knows nothing of Slack or queues; progress goes out through `onProgress`.
 */

export type StepName = "lock" | "backup" | "apply" | "retry" | "verify" | "rollback" | "done";

export interface ProgressEvent {
  step: StepName;
  version?: string;
  /** One line a person can read: "lock taken on app_production", "applying 20251101_000001 (2/5)". */
  message: string;
  detail?: Record<string, unknown>;
}

export type ProgressListener = (event: ProgressEvent) => void | Promise<void>;

export interface RunContext {
  environment: Environment;
  catalog: Catalog;
  /** Who is doing it, as recorded in `applied_by`: "cli:alice", "slack:U123ABC". */
  actor: string;
  onProgress?: ProgressListener;
  logger?: Logger;
  /**
   * The chat request whose job runs this, recorded in each `applied` event's detail: a job run again after its
   * worker was killed past the commit finds there what the killed attempt applied (src/targets/applied-by-request.ts).
   */
  requestId?: string;
}
