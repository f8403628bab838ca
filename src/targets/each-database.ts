import PQueue from "p-queue";
import type { FleetDatabase } from "../config/targets.ts";

/** `read` on every database of a target, at most `parallel` at once, results in the databases' order. */
export async function eachDatabase<T>(databases: FleetDatabase[], parallel: number, read: (database: FleetDatabase) => Promise<T>): Promise<T[]> {
  const queue = new PQueue({ concurrency: Math.max(1, parallel) });
  return Promise.all(databases.map((database) => queue.add(() => read(database)))) as Promise<T[]>;
}
