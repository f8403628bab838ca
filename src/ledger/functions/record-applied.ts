import { ON_LOCK_HOLDER } from "./assert-migration-lock.ts";

/**
 * `rookery_record_applied(...)`: every ledger write of a successful apply, in the migration's own
 * transaction, as one call with plans PL/pgSQL keeps for the session (the hot path of a run: once
 * per migration). It first checks that the transaction runs on the server process that took the
 * migration lock (`p_lock_pid`, recorded by the runner when it took and verified the lock): a
 * session-level advisory lock stays with the process that took it, so that process still holds it,
 * and a pool that moved the transaction to any other process is refused. Then the row
 * (`rookery_record_migration`, the one upsert, which also moves schema_version) and the `applied` event.
 */
export const RECORD_APPLIED = `
CREATE OR REPLACE FUNCTION public.rookery_record_applied(
    p_lock_pid INTEGER,
    p_version VARCHAR(50),
    p_description TEXT,
    p_rollback_script TEXT,
    p_checksum VARCHAR(64),
    p_detail JSONB
)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    v_actor TEXT := current_setting('rookery.actor');
BEGIN
${ON_LOCK_HOLDER}
    PERFORM public.rookery_record_migration(p_version, p_description, p_rollback_script, p_checksum, v_actor, 'applied');
    INSERT INTO public.migration_events (migration_type, version, event, actor, success, detail)
    VALUES ('apply', p_version, 'applied', v_actor, TRUE, p_detail);
END;
$fn$;`;
