import type pg from "pg";
import { RookeryError } from "../errors.ts";

/** Anything that runs a query: a pool or one client. */
export type Queryable = Pick<pg.ClientBase, "query">;

export interface Freeze {
  environment: string;
  reason: string;
  frozenBy: string;
  frozenAt: Date;
}

/**
 * One row per freeze, kept after it is lifted, so who froze what and when stays readable.
 * The partial unique index allows one active freeze per environment. The advisory lock is the one the
 * requests store takes for the same schema, so any two processes creating it wait for each other
 * instead of colliding on CREATE SCHEMA.
 */
const ENSURE_FREEZES_SQL = `
DO $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('rookery_control.schema'));
  CREATE SCHEMA IF NOT EXISTS rookery_control;
  CREATE TABLE IF NOT EXISTS rookery_control.deployment_freezes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment text NOT NULL,
    reason text NOT NULL,
    frozen_by text NOT NULL,
    frozen_at timestamptz NOT NULL DEFAULT now(),
    lifted_by text,
    lifted_at timestamptz
  );
  CREATE UNIQUE INDEX IF NOT EXISTS deployment_freezes_one_active
    ON rookery_control.deployment_freezes (environment) WHERE lifted_at IS NULL;
END
$$`;

export async function ensureFreezeTable(db: Queryable): Promise<void> {
  await db.query(ENSURE_FREEZES_SQL);
}

interface FreezeRow {
  environment: string;
  reason: string;
  frozen_by: string;
  frozen_at: Date;
}

function toFreeze(row: FreezeRow): Freeze {
  return { environment: row.environment, reason: row.reason, frozenBy: row.frozen_by, frozenAt: row.frozen_at };
}

/** Reading never creates the table: a control database nobody ever froze has no freeze. */
export async function activeFreeze(db: Queryable, environment: string): Promise<Freeze | undefined> {
  const table = await db.query<{ present: boolean }>("SELECT to_regclass('rookery_control.deployment_freezes') IS NOT NULL AS present");
  if (!table.rows[0]?.present) return undefined;
  const { rows } = await db.query<FreezeRow>(
    `SELECT environment, reason, frozen_by, frozen_at FROM rookery_control.deployment_freezes
      WHERE environment = $1 AND lifted_at IS NULL`,
    [environment],
  );
  return rows[0] ? toFreeze(rows[0]) : undefined;
}

export function describeFreeze(freeze: Freeze): string {
  return `${freeze.environment} is frozen by ${freeze.frozenBy} since ${freeze.frozenAt.toISOString().slice(0, 16).replace("T", " ")} UTC: ${freeze.reason}`;
}

/** Freezes an environment; a second freeze of a frozen environment is refused, naming the first. */
export async function freezeEnvironment(
  db: Queryable,
  input: { environment: string; reason: string; by: string },
): Promise<Freeze> {
  const reason = input.reason.trim();
  if (reason === "") {
    throw new RookeryError(`a freeze of ${input.environment} needs a reason`, {
      hint: "Say why, e.g. `freeze production end-of-quarter close`.",
      exitCode: 2,
    });
  }
  await ensureFreezeTable(db);
  const { rows } = await db.query<FreezeRow>(
    `INSERT INTO rookery_control.deployment_freezes (environment, reason, frozen_by) VALUES ($1, $2, $3)
     ON CONFLICT (environment) WHERE lifted_at IS NULL DO NOTHING
     RETURNING environment, reason, frozen_by, frozen_at`,
    [input.environment, reason, input.by],
  );
  if (rows[0]) return toFreeze(rows[0]);
  const existing = await activeFreeze(db, input.environment);
  throw new RookeryError(existing ? `already frozen: ${describeFreeze(existing)}` : `${input.environment} is already frozen`, {
    hint: `Unfreeze ${input.environment} first to change the reason.`,
  });
}

/** Lifts the active freeze and returns it; refused when the environment is not frozen. */
export async function unfreezeEnvironment(db: Queryable, input: { environment: string; by: string }): Promise<Freeze> {
  await ensureFreezeTable(db);
  const { rows } = await db.query<FreezeRow>(
    `UPDATE rookery_control.deployment_freezes SET lifted_by = $2, lifted_at = now()
      WHERE environment = $1 AND lifted_at IS NULL
      RETURNING environment, reason, frozen_by, frozen_at`,
    [input.environment, input.by],
  );
  if (!rows[0]) {
    throw new RookeryError(`${input.environment} is not frozen`, { hint: "Nothing to unfreeze." });
  }
  return toFreeze(rows[0]);
}
