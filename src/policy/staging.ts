import { checksumOf, type Catalog, type Migration } from "../catalog/index.ts";
import type { Config, Environment } from "../config/index.ts";
import { withClient } from "../db/index.ts";
import { inLedgerSchema } from "../ledger/index.ts";
import { describeError, describeErrorWithoutHint, RookeryError } from "../errors.ts";
import { databaseEnvironment, fleetDatabases, resolveTargets } from "../targets/index.ts";
import { verifyMigrations } from "../runner/index.ts";

/** What a request pins: the version and the checksum of the file as it will run. */
export interface PinnedMigration {
  version: string;
  checksum: string;
}

interface StagingRow {
  version: string;
  checksum: string | null;
  /** The rollback script staging stored when it applied the version: the one it would run. */
  rollback_script: string | null;
  status: string;
  applied_at: Date;
}

const UNDEFINED_TABLE = "42P01";

/** Staging's ledger rows for these versions; a staging database without a ledger has applied nothing. */
async function readStagingLedger(staging: Environment, versions: string[]): Promise<Map<string, StagingRow>> {
  return withClient(staging.databaseUrl, async (client) => {
    try {
      const { rows } = await client.query<StagingRow>(
        inLedgerSchema("SELECT version, checksum, rollback_script, status, applied_at FROM public.schema_migrations WHERE version = ANY($1::text[])", staging.ledgerSchema),
        [versions],
      );
      return new Map(rows.map((row) => [row.version, row]));
    } catch (error) {
      if ((error as { code?: string }).code === UNDEFINED_TABLE) return new Map();
      throw error;
    }
  });
}

function hoursText(hours: number): string {
  return hours < 1 ? `${Math.round(hours * 60)} min` : `${Math.floor(hours * 10) / 10} h`;
}

/**
 * The rollback file is part of what staging vouches for: production stores today's rollback file,
 * and an incident runs it. Undefined when staging stored the same one (or the folder does not have the version).
 */
function rollbackProblem(version: string, row: StagingRow, file: Migration | undefined, stagingName: string): string | undefined {
  if (!file) return undefined;
  const stored = row.rollback_script === null ? null : checksumOf(row.rollback_script);
  const current = file.rollback?.checksum ?? null;
  if (stored === current) return undefined;
  const what = current === null ? "was removed" : stored === null ? "was added" : "changed";
  return `${version}: the rollback file ${what} after ${stagingName} applied the version (${stagingName} stored another rollback script); roll back and apply it on ${stagingName} again, so the rollback that production would run is the one staging has`;
}

/** Why one version may not go on yet, judged by its staging row; undefined when the row is good enough. */
function rowProblem(migration: PinnedMigration, row: StagingRow | undefined, minSoakHours: number, now: Date, stagingName: string, file: Migration | undefined): string | undefined {
  if (!row || row.status === "rolled_back") return `${migration.version} is not applied on ${stagingName}`;
  if (row.status !== "applied") return `${migration.version} ${row.status} on ${stagingName}; apply it there successfully first`;
  if (row.checksum !== migration.checksum) {
    return `${migration.version}: checksum on ${stagingName} differs: the file changed after ${stagingName}; apply the current file on ${stagingName} first`;
  }
  const rollback = rollbackProblem(migration.version, row, file, stagingName);
  if (rollback) return rollback;
  const soakedHours = (now.getTime() - row.applied_at.getTime()) / 3_600_000;
  if (soakedHours < minSoakHours) {
    const ready = new Date(row.applied_at.getTime() + minSoakHours * 3_600_000);
    return `${migration.version} applied on ${stagingName} ${hoursText(soakedHours)} ago, needs ${minSoakHours} h soak (ready ${ready.toISOString().slice(0, 16).replace("T", " ")} UTC)`;
  }
  return undefined;
}

/**
 * The staging database that vouches for a target's files: staging's target of the same name (a fleet's
 * first database, its canary), or staging itself when it has no targets.
 */
async function stagingDatabase(config: Config, staging: Environment, target: string | undefined): Promise<Environment> {
  if (!target || !staging.targets) return staging;
  const [resolved] = resolveTargets(config, staging, target);
  if (resolved!.kind === "database") return resolved!.environment;
  const [first] = await fleetDatabases(resolved!);
  if (!first) throw new RookeryError(`${staging.name}'s fleet ${target} has no databases`);
  return databaseEnvironment(resolved!, first);
}

async function verificationProblems(staging: Environment, catalog: Catalog, version: string): Promise<string[]> {
  const report = await verifyMigrations(staging, catalog, version);
  return report.checks
    .filter((check) => check.status === "FAIL")
    .map((check) => `${version}: verification on ${staging.name} fails: ${check.name} (${check.details})`);
}

/**
 * Staging first: every version must be applied on the staging environment with the same checksum,
 * pass verification there and have soaked `minSoakHours`. Returns what is missing, one line each;
 * an empty list means staging vouches for every version. Staging unreachable counts as missing.
 */
export async function stagingProblems(input: {
  config: Config;
  environment: Environment;
  catalog: Catalog;
  migrations: PinnedMigration[];
  now: Date;
  /** Across targets: the target whose files these are; staging's target of the same name vouches for them. */
  target?: string;
}): Promise<string[]> {
  const stagingName = input.environment.requireStaging;
  if (!stagingName || input.migrations.length === 0) return [];
  const environment = input.config.environments[stagingName];
  if (!environment) {
    return [`requireStaging names "${stagingName}", which is not a configured environment; fix the config`];
  }
  let staging: Environment;
  try {
    staging = await stagingDatabase(input.config, environment, input.target);
  } catch (error) {
    return [`cannot find ${stagingName}'s ${input.target} to check staging first: ${describeError(error)}`];
  }
  let rows: Map<string, StagingRow>;
  try {
    rows = await readStagingLedger(staging, input.migrations.map((migration) => migration.version));
  } catch (error) {
    // Without the connection's own hint (docker-compose, DATABASE_URL): mid-list it reads as this line's end,
    // and the refusal's own hint follows; the URL named is staging's databaseUrl.
    const reason = describeErrorWithoutHint(error);
    return [`cannot read ${stagingName}'s ledger to check staging first (its databaseUrl): ${reason}`];
  }
  const problems: string[] = [];
  for (const migration of input.migrations) {
    const problem = rowProblem(migration, rows.get(migration.version), input.environment.minSoakHours, input.now, stagingName, input.catalog.byVersion.get(migration.version));
    if (problem) problems.push(problem);
    else problems.push(...(await verificationProblems(staging, input.catalog, migration.version)));
  }
  return problems;
}
