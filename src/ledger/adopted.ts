import type pg from "pg";
import { inLedgerSchema } from "./place.ts";
import { fitActor } from "./records.ts";

/** One version recorded as applied without Rookery running it: by `baseline`, or read from another tool's ledger by `import`. */
export interface AdoptedRecord {
  version: string;
  description: string;
  checksum: string;
  rollbackScript: string | null;
  /** When it was applied, where the other tool recorded it; else now. */
  appliedAt: Date | null;
  /** Who applied it, where known ("flyway:deploy"); else the actor. */
  appliedBy: string | null;
}

/**
 * Records versions as applied without running them, in one statement (one transaction): each row
 * with its checksum and rollback script, an event each (`baselined` / `imported`) with the actor, and
 * schema_version moved to the highest applied version. A version that already has a row is left as it
 * is and not counted. Returns the versions written.
 */
export async function recordAdopted(
  client: pg.ClientBase,
  schema: string,
  event: "baselined" | "imported",
  records: AdoptedRecord[],
  context: { actor: string; reason: string | null; detail: Record<string, unknown> },
): Promise<string[]> {
  const actor = fitActor(context.actor);
  const { rows } = await client.query<{ version: string }>(
    inLedgerSchema(
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[])
           AS t(version, description, checksum, rollback_script, applied_at, applied_by)
       ), written AS (
         INSERT INTO public.schema_migrations (version, description, rollback_script, checksum, applied_by, status, applied_at)
         SELECT version, description, rollback_script, checksum, left(coalesce(applied_by, $8), 100), 'applied', coalesce(applied_at, NOW()) FROM input
         ON CONFLICT (version) DO NOTHING
         RETURNING version
       ), events AS (
         INSERT INTO public.migration_events (migration_type, version, event, actor, reason, success, detail)
         SELECT $7, w.version, $7, $8, $9, TRUE,
                $10::jsonb || jsonb_build_object('checksum', i.checksum, 'appliedAt', i.applied_at, 'appliedBy', i.applied_by)
         FROM written w JOIN input i USING (version)
       ), current AS (
         INSERT INTO public.schema_version (id, current_version, applied_at, applied_by)
         SELECT 1, max(version), NOW(), $8 FROM (
           SELECT version FROM public.schema_migrations WHERE status = 'applied' UNION ALL SELECT version FROM written
         ) applied
         HAVING EXISTS (SELECT 1 FROM written)
         ON CONFLICT (id) DO UPDATE SET current_version = EXCLUDED.current_version, applied_at = NOW(), applied_by = EXCLUDED.applied_by
       )
       SELECT version FROM written ORDER BY version`,
      schema,
    ),
    [
      records.map((record) => record.version),
      records.map((record) => record.description),
      records.map((record) => record.checksum),
      records.map((record) => record.rollbackScript),
      records.map((record) => record.appliedAt),
      records.map((record) => record.appliedBy),
      event,
      actor,
      context.reason,
      JSON.stringify(context.detail),
    ],
  );
  return rows.map((row) => row.version);
}
