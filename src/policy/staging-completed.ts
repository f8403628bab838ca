import type { Config, Environment } from "../config/index.ts";
import { withClient } from "../db/index.ts";
import { describeError } from "../errors.ts";
import { readExpansion } from "../ledger/index.ts";
import type { PinnedMigration } from "./staging.ts";

/**
 * Staging first, for the contract of an expand-contract migration: the environment's requireStaging
 * must have completed the same version (the destructive phase ran there and the new shape held).
 */
export async function stagingCompletedProblems(input: { config: Config; environment: Environment; migrations: PinnedMigration[] }): Promise<string[]> {
  const stagingName = input.environment.requireStaging;
  if (!stagingName) return [];
  const staging = input.config.environments[stagingName];
  if (!staging) return [`requireStaging names ${stagingName}, which is not in the config`];
  try {
    return await withClient(staging.databaseUrl, async (client) => {
      const problems: string[] = [];
      for (const migration of input.migrations) {
        const expansion = await readExpansion(client, staging.ledgerSchema, migration.version);
        if (expansion?.state !== "completed") {
          problems.push(`${migration.version} is not completed on ${stagingName} (it is ${expansion?.state ?? "not expanded there"}); complete it there first`);
        }
      }
      return problems;
    });
  } catch (error) {
    return [`${stagingName} could not be checked: ${describeError(error)}`];
  }
}
