import { z } from "zod";

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
