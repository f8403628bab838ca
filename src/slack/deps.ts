import type pg from "pg";
import type { Catalog } from "../catalog/index.ts";
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";

/** What the Slack layer needs from the rest of Rookery; src/main.ts and the tests build it. */
export interface SlackDeps {
  config: Config;
  /** The control database (requests, approvals, audit log). */
  control: pg.Pool;
  logger: Logger;
  /** The migrations folder read afresh, so a file added or edited is seen without a restart. */
  loadCatalog(): Promise<Catalog>;
  now(): Date;
  /**
   * Pushes approved requests from the outbox to the queue at once. Without it the worker's
   * reconciler picks them up on its next round; nothing is lost either way.
   */
  dispatchOutbox?(): Promise<void>;
  /** Runs a watch's next job at once ("Roll back now"); without it the watch's next round does it. */
  wakeWatch?(watchId: string): Promise<void>;
}
