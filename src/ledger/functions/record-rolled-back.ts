import { ON_LOCK_HOLDER } from "./assert-migration-lock.ts";

/**
 * `rookery_record_rolled_back(...)`: the ledger writes of a successful rollback, in the rollback's own
 * transaction, as one call with plans PL/pgSQL keeps for the session (the hot path of `rollback --to`
 * and `--last`: once per version). Like `rookery_record_applied` it first checks that the transaction
 * runs on the server process that took the migration lock (`p_lock_pid`, verified when the lock was
 * taken), one comparison instead of a scan of pg_locks per version. Then the writes, the same for
 * every rollback (`recordRollback` and `rollbackCopiedRecordSql` in src/ledger/records.ts call it): the
 * row rolled_back with its applied_at kept, schema_version with the newest version still applied (`p_current_after`, NULL for none), the `rolled_back` event with the
 * actor and the reason as given, and the rollback notification. Returns the event's id (NULL when the
 * version has no row).
 */
export const RECORD_ROLLED_BACK = `
CREATE OR REPLACE FUNCTION public.rookery_record_rolled_back(
    p_lock_pid INTEGER,
    p_version VARCHAR(50),
    p_actor TEXT,
    p_reason TEXT,
    p_current_after VARCHAR(50),
    p_detail JSONB
)
RETURNS BIGINT LANGUAGE plpgsql AS $fn$
DECLARE
    v_marked BOOLEAN;
    v_event BIGINT;
BEGIN
${ON_LOCK_HOLDER}
    UPDATE public.schema_migrations SET status = 'rolled_back' WHERE version = p_version;
    v_marked := FOUND;
    INSERT INTO public.schema_version (id, current_version, applied_at, applied_by)
    VALUES (1, p_current_after, NOW(), p_actor)
    ON CONFLICT (id) DO UPDATE SET current_version = EXCLUDED.current_version, applied_at = NOW(), applied_by = EXCLUDED.applied_by;
    IF NOT v_marked THEN
        RETURN NULL;
    END IF;
    INSERT INTO public.migration_events (migration_type, version, event, actor, reason, success, detail)
    VALUES ('rollback', p_version, 'rolled_back', p_actor, p_reason, TRUE, p_detail)
    RETURNING id INTO v_event;
    INSERT INTO public.system_notifications (category, title, message, severity, metadata)
    VALUES ('migration', 'Migration Rollback', format('Migration %s rolled back: %s', p_version, p_reason), 'warning',
            jsonb_build_object('version', p_version, 'reason', p_reason, 'rolled_back_at', NOW(), 'rolled_back_by', p_actor));
    RETURN v_event;
END;
$fn$;`;
