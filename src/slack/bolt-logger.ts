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
  return {
    debug: (...parts) => child.debug(text(parts)),
    info: (...parts) => child.info(text(parts)),
    warn: (...parts) => child.warn(text(parts)),
    error: (...parts) => child.error(text(parts)),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
