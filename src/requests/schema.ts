import type pg from "pg";
import { firstContact } from "../db/index.ts";
import { inTransaction } from "./transaction.ts";

export const CONTROL_SCHEMA = "rookery_control";

/**
 * The control schema: approval requests and what happened to them, kept in Postgres so that
 * a Redis outage loses nothing. Created idempotently; concurrent starters serialise on an advisory lock
 * because CREATE ... IF NOT EXISTS alone races on the catalog.
 */
const DDL = `
CREATE SCHEMA IF NOT EXISTS rookery_control;

CREATE TABLE IF NOT EXISTS rookery_control.requests (
  id uuid PRIMARY KEY,
  kind text NOT NULL CONSTRAINT requests_kind_check CHECK (kind IN ('apply', 'rollback', 'complete', 'baseline')),
  environment text NOT NULL,
  versions text[] NOT NULL,
  checksums jsonb NOT NULL,
  reason text,
  requested_by text NOT NULL,
  team_id text,
  channel_id text,
  message_ts text,
  approvals_required integer NOT NULL CHECK (approvals_required >= 0),
  status text NOT NULL CHECK (status IN ('pending','approved','rejected','expired','queued','running','succeeded','failed','cancelled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  not_before timestamptz,
  break_glass boolean NOT NULL DEFAULT false,
  decided_by text,
  error text,
  result jsonb,
  attempts integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Control schemas created before emergency rollbacks were recorded on the request.
ALTER TABLE rookery_control.requests ADD COLUMN IF NOT EXISTS break_glass boolean NOT NULL DEFAULT false;
-- A running request's worker touches this while it runs: the reconciler re-sends only a request nobody runs.
ALTER TABLE rookery_control.requests ADD COLUMN IF NOT EXISTS heartbeat_at timestamptz;
-- Control schemas created before expand-contract requests (kind complete) and baselines allowed fewer kinds.
DO $kinds$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'requests_kind_check' AND conrelid = 'rookery_control.requests'::regclass
             AND pg_get_constraintdef(oid) NOT LIKE '%baseline%') THEN
    ALTER TABLE rookery_control.requests DROP CONSTRAINT requests_kind_check;
    ALTER TABLE rookery_control.requests ADD CONSTRAINT requests_kind_check CHECK (kind IN ('apply', 'rollback', 'complete', 'baseline'));
  END IF;
END $kinds$;
CREATE INDEX IF NOT EXISTS requests_status_idx ON rookery_control.requests (status);

CREATE TABLE IF NOT EXISTS rookery_control.approvals (
  request_id uuid NOT NULL REFERENCES rookery_control.requests (id) ON DELETE CASCADE,
  user_id text NOT NULL,
  approved_at timestamptz NOT NULL,
  PRIMARY KEY (request_id, user_id)
);

-- One row per request whose job must reach the queue; sent_at stays NULL until the enqueue succeeded.
CREATE TABLE IF NOT EXISTS rookery_control.outbox (
  request_id uuid PRIMARY KEY REFERENCES rookery_control.requests (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text
);
CREATE INDEX IF NOT EXISTS outbox_unsent_idx ON rookery_control.outbox (created_at) WHERE sent_at IS NULL;

CREATE TABLE IF NOT EXISTS rookery_control.audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  team_id text,
  action text NOT NULL,
  request_id uuid,
  environment text,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_log_request_idx ON rookery_control.audit_log (request_id);

-- What the health poll last posted per environment and problem, so a state is posted once, not every poll.
CREATE TABLE IF NOT EXISTS rookery_control.alert_state (
  environment text NOT NULL,
  alert_key text NOT NULL,
  level text NOT NULL CHECK (level IN ('CRITICAL', 'WARNING')),
  version text,
  message text NOT NULL,
  first_seen_at timestamptz NOT NULL,
  last_posted_at timestamptz NOT NULL,
  resolved_at timestamptz,
  PRIMARY KEY (environment, alert_key)
);
`;

/**
 * The watch after an apply (src/runner/watch.ts, src/queue/process-watch.ts): its plan and progress live here,
 * not in a worker's memory, so a restarted worker (or another one) runs the next round. One per request.
 */
const WATCHES_DDL = `
CREATE TABLE IF NOT EXISTS rookery_control.watches (
  id uuid PRIMARY KEY,
  request_id uuid UNIQUE REFERENCES rookery_control.requests (id) ON DELETE SET NULL,
  environment text NOT NULL,
  versions text[] NOT NULL,
  actor text NOT NULL,
  started_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  interval_ms integer NOT NULL CHECK (interval_ms > 0),
  checks jsonb NOT NULL,
  on_check_error text NOT NULL CHECK (on_check_error IN ('rollback', 'alert')),
  status text NOT NULL CHECK (status IN ('watching', 'rolling_back', 'kept', 'rolled_back', 'not_rolled_back', 'rollback_failed', 'ended')),
  rounds integer NOT NULL DEFAULT 0,
  next_round_at timestamptz NOT NULL,
  errors jsonb NOT NULL DEFAULT '[]',
  failing jsonb,
  outcome jsonb,
  rollback_requested_by text,
  decided_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- The last drill verdict per version (src/runner/drill.ts): a failed one is a WARNING until a drill proves it again.
CREATE TABLE IF NOT EXISTS rookery_control.drill_results (
  environment text NOT NULL,
  version text NOT NULL,
  proven boolean NOT NULL,
  differences jsonb NOT NULL DEFAULT '[]',
  drilled_at timestamptz NOT NULL,
  PRIMARY KEY (environment, version)
);
-- A watch across targets (docs/targets.md): each database it looks at, {target, database, versions, checks}; NULL for one database.
ALTER TABLE rookery_control.watches ADD COLUMN IF NOT EXISTS databases jsonb;
CREATE INDEX IF NOT EXISTS watches_open_idx ON rookery_control.watches (next_round_at) WHERE status IN ('watching', 'rolling_back');
`;

/** Every process of the bot and worker starts here, so an unreachable control database is named here. */
export async function ensureControlSchema(pool: pg.Pool): Promise<void> {
  await firstContact(pool, "the control database", () =>
    inTransaction(pool, async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext('rookery_control.schema'))");
      await client.query(DDL);
      await client.query(WATCHES_DDL);
    }),
  );
}
