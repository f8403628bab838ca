import type { Environment } from "../config/index.ts";
import { inLedgerSchema } from "../ledger/place.ts";
import { withLedgerClient } from "../session/session.ts";

/**
 * The versions a request applied on a database that are still applied there, from the request id its
 * `applied` events carry. A database's job run again after its worker was killed past the commit (Postgres
 * finishes a query whose client died) finds nothing pending; this is what the killed attempt applied, so the
 * run's row, and the request's rollback and watch, still know it.
 */
export async function appliedByRequest(environment: Environment, requestId: string): Promise<string[]> {
  return withLedgerClient(environment, async (client) => {
    const { rows } = await client.query<{ version: string }>(
      inLedgerSchema(
        `SELECT DISTINCT e.version FROM public.migration_events e JOIN public.schema_migrations m ON m.version = e.version
          WHERE e.event = 'applied' AND e.detail->>'requestId' = $1 AND m.status = 'applied' ORDER BY e.version`,
        environment.ledgerSchema,
      ),
      [requestId],
    );
    return rows.map((row) => row.version);
  });
}
