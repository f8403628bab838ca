import { LogLevel, type Logger as BoltLogger } from "@slack/bolt";
import type { Logger } from "../log/logger.ts";

function describePart(part: unknown): string {
  if (typeof part === "string") return part;
  if (part instanceof Error) return part.message;
  try {
    return JSON.stringify(part);
  } catch {
    return String(part);
  }
}

/** Bolt's logger interface over Rookery's pino logger, so Bolt's lines get the same redaction and format. */
export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: "bolt" });
  const text = (parts: unknown[]) => parts.map(describePart).join(" ");
  let level = LogLevel.INFO;
  // Bolt logs at debug on every request: nothing is formatted for a level that is off.
  const at = (method: "debug" | "info" | "warn" | "error") => (...parts: unknown[]) => {
    if (child.isLevelEnabled(method)) child[method](text(parts));
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
