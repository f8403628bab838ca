import { describeError } from "../errors.ts";
import { readLedger } from "../ledger/index.ts";
import { withLedgerClient } from "../session/session.ts";
import { environmentOf, prepareTargets, type PreparedTarget } from "./apply-targets.ts";
import { eachDatabase } from "./each-database.ts";
import type { Target } from "./resolve.ts";
import { planRunRows, type RunRow } from "./run-state.ts";

/** What one database of a run applied, as the run recorded it. */
export interface RanOnDatabase {
  target: string;
  database: string;
  applied: string[];
}

/** One database's part of rolling a run back: its versions newest first, in a step like an apply's. */
export type DatabaseRollback = Pick<RunRow, "target" | "database" | "position" | "step" | "wave"> & { versions: string[] };

export interface RunRollback {
  databases: DatabaseRollback[];
  /** Why it cannot be rolled back as asked, one line per database (no stored script, unreadable). */
  refusals: string[];
}

/**
 * Rolling back what a run across targets applied (docs/targets.md): on each database, the versions that
 * run recorded as applied there and that its ledger still holds as applied, newest first. The targets
 * go in reverse targetOrder (the last applied is undone first), a fleet's databases in its waves.
 */
export async function rollbackOfRun(targets: Target[], runs: RanOnDatabase[]): Promise<RunRollback> {
  const ran = new Map(runs.filter((run) => run.applied.length > 0).map((run) => [`${run.target}/${run.database}`, run.applied]));
  const involved = targets.filter((target) => runs.some((run) => run.target === target.name && ran.has(`${run.target}/${run.database}`))).reverse();
  const refusals: string[] = [];
  const versionsOf = new Map<string, string[]>();
  const prepared: PreparedTarget[] = [];
  for (const each of await prepareTargets(involved)) {
    const databases = each.databases.filter((database) => ran.has(`${each.target.name}/${database.name}`));
    const found = await eachDatabase(databases, each.target.kind === "fleet" ? each.target.fleet.maxParallel : 1, async (database) => {
      const key = `${each.target.name}/${database.name}`;
      const label = each.target.kind === "fleet" ? key : each.target.name;
      try {
        const ledger = await withLedgerClient(environmentOf(each, database), (client) => readLedger(client, each.target.environment.ledgerSchema));
        const entries = ran.get(key)!.map((version) => ledger.get(version)).filter((entry) => entry?.status === "applied");
        const scriptless = entries.filter((entry) => entry!.rollbackScript === null).map((entry) => entry!.version);
        if (scriptless.length > 0) refusals.push(`${label}: ${scriptless.join(", ")} has no stored rollback script`);
        versionsOf.set(key, entries.map((entry) => entry!.version).sort().reverse());
      } catch (error) {
        refusals.push(`${label}: could not read its ledger: ${describeError(error)}`);
      }
      return database;
    });
    const rolling = found.filter((database) => (versionsOf.get(`${each.target.name}/${database.name}`) ?? []).length > 0);
    if (rolling.length > 0) prepared.push({ ...each, databases: rolling });
  }
  const databases = planRunRows(prepared).map((row) => ({ ...row, versions: versionsOf.get(`${row.target}/${row.database}`)! }));
  return { databases, refusals };
}
