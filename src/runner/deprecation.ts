import type { Environment } from "../config/index.ts";
import { checkDeprecated, describeDeprecation } from "../expand/index.ts";
import { withLedgerClient } from "./session.ts";

/** Before complete: whether queries still use what the expansion of `version` deprecated, in lines for a person (docs/expand-contract.md). */
export async function deprecationLines(environment: Environment, version: string, now: Date = new Date()): Promise<string[]> {
  const check = await withLedgerClient(environment, (client) => checkDeprecated(client, environment.ledgerSchema, version));
  return check ? describeDeprecation(check, environment.name, environment.deprecationWindowHours, now) : [];
}
