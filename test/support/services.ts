import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { inject } from "vitest";

/** The admin URL of the Postgres server the suite runs against. */
export function adminDatabaseUrl(): string {
  return inject("adminDatabaseUrl");
}

export function redisUrl(): string {
  return inject("redisUrl");
}

function urlFor(database: string): string {
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

const createdDatabases: string[] = [];
const createdPrefixes: string[] = [];

async function dropQueueKeys(prefixes: string[]): Promise<void> {
  const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for (const prefix of prefixes) {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== "0");
    }
  } finally {
    redis.disconnect();
  }
}

/**
 * Drops what this test file created: its databases, then its queue keys. test/support/per-file.ts registers
 * it for every file, so it runs after the file's own hooks (workers and pools closed first).
 */
export async function dropCreatedResources(): Promise<void> {
  const names = createdDatabases.splice(0);
  if (names.length > 0) {
    await admin(async (client) => {
      // Each on its own and retried: a pooler or a killed worker's session reconnecting must not leave this
      // database, or the ones after it, behind.
      for (const name of names) {
        for (let attempt = 1; ; attempt++) {
          try {
            await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            break;
          } catch (error) {
            if (attempt >= 10) throw error;
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }
      }
    });
  }
  const prefixes = createdPrefixes.splice(0);
  if (prefixes.length > 0) await dropQueueKeys(prefixes);
}

/**
 * A fresh, empty database of this test file's own, dropped when the file ends.
 * `label` only makes a leftover easy to trace back to its test.
 */
export async function createTestDatabase(label = "t"): Promise<string> {
  const name = `rookery_${label.replace(/[^a-z0-9]/gi, "").toLowerCase().slice(0, 20)}_${randomBytes(5).toString("hex")}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  createdDatabases.push(name);
  return urlFor(name);
}

/** A BullMQ prefix of this test file's own, so parallel files never share queues. */
export function testQueuePrefix(label = "t"): string {
  const prefix = `rookery-test-${label}-${randomBytes(4).toString("hex")}`;
  createdPrefixes.push(prefix);
  return prefix;
}

/** Run SQL against a test database and return its rows. */
export async function query<T extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
