import pino, { type Logger } from "pino";

/**
 * Secrets never reach a log line: every key that can hold one is censored wherever it sits,
 * and connection strings are logged only through `redactUrl`.
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

/** A connection URL fit for output: the password replaced, everything else kept. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparseable url>";
  }
}

export type { Logger };
