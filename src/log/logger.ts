import pino, { type Logger } from "pino";

export { redactUrl } from "./redact-url.ts";

/**
 * Secrets never reach a log line: every key that can hold one is censored wherever it sits,
 * and connection strings are logged only through `redactUrl` (its own file: printing an error
 * needs it, and should not load pino).
 */
export const REDACTED_KEYS = [
  "password",
  "databaseUrl",
  "controlDatabaseUrl",
  "redisUrl",
  "connectionString",
  "token",
  "botToken",
  "appToken",
  "signingSecret",
  "authorization",
  "SLACK_BOT_TOKEN",
  "SLACK_APP_TOKEN",
  "SLACK_SIGNING_SECRET",
  "DATABASE_URL",
];

const redactPaths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

export function createLogger(options: { level?: string; name?: string } = {}, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: options.name ?? "rookery",
      level: options.level ?? process.env.LOG_LEVEL ?? "info",
      redact: { paths: redactPaths, censor: "[redacted]" },
    },
    destination ?? pino.destination(2),
  );
}

export type { Logger };
