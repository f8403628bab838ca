import { createRequire } from "node:module";
import * as z from "zod";

/** Loaded when a cron expression is read: every command loads the config, few configs have one. */
function cronParser(): typeof import("cron-parser").CronExpressionParser {
  return (createRequire(import.meta.url)("cron-parser") as typeof import("cron-parser")).CronExpressionParser;
}

const UNIT_MS = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 } as const;

/** "1500ms", "2s", "5min", "1h" or a number of milliseconds, as milliseconds. */
export const duration = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d+(\.\d+)?(ms|s|min|h)$/, 'a duration like "1500ms", "2s", "5min" or "1h"')
    .transform((text) => {
      const [, amount, unit] = /^(\d+(?:\.\d+)?)(ms|s|min|h)$/.exec(text)!;
      return Math.round(Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]);
    }),
]);

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}min`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const SCHEDULE_UNIT_MS = { ...UNIT_MS, d: 86_400_000 } as const;

/** A drill's schedule: a period ("7d", "12h", "90min") or a cron expression ("0 3 * * 1"), checked here. */
export const drillSchedule = z
  .string()
  .min(1)
  .transform((text, context): { everyMs: number } | { pattern: string } => {
    const period = /^(\d+(?:\.\d+)?)(ms|s|min|h|d)$/.exec(text.trim());
    if (period) {
      const everyMs = Math.round(Number(period[1]) * SCHEDULE_UNIT_MS[period[2] as keyof typeof SCHEDULE_UNIT_MS]);
      if (everyMs >= 1000) return { everyMs };
      context.addIssue({ code: "custom", message: "a drill period of at least 1s" });
      return z.NEVER;
    }
    try {
      cronParser().parse(text.trim());
      return { pattern: text.trim() };
    } catch (error) {
      context.addIssue({ code: "custom", message: `a period like "7d" or a cron expression like "0 3 * * 1" (${(error as Error).message})` });
      return z.NEVER;
    }
  });
