import type { Environment } from "../config/index.ts";
import { checkDeprecated, describeDeprecation, type DeprecationCheck } from "../expand/deprecation.ts";
import { withLedgerClient } from "../session/session.ts";

/** The deprecation check of an expanded version, with the window it is read against and its lines for a person. */
export type DeprecationReport = DeprecationCheck & { windowHours: number; lines: string[] };

/**
 * Before complete: whether queries still use what the expansion of `version` deprecated
 * (docs/expand-contract.md); undefined when it drops nothing or is not expanded.
 */
export async function deprecationReport(environment: Environment, version: string, options: { now?: Date; marks?: "chat" | "plain" } = {}): Promise<DeprecationReport | undefined> {
  const check = await withLedgerClient(environment, (client) => checkDeprecated(client, environment.ledgerSchema, version));
  if (!check) return undefined;
  const windowHours = environment.deprecationWindowHours;
  return { ...check, windowHours, lines: describeDeprecation(check, environment.name, windowHours, options.now ?? new Date(), options.marks) };
}

/** The same, as the lines of a chat request. */
export async function deprecationLines(environment: Environment, version: string, now: Date = new Date()): Promise<string[]> {
  return (await deprecationReport(environment, version, { now }))?.lines ?? [];
}
