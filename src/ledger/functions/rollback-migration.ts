import { MIGRATION_LOCK_KEY } from "../lock-keys.ts";

/**
 * `SELECT rollback_migration(version, reason)` for a DBA at psql, with the document's defects fixed:
 * `applied_at` keeps the time the migration was applied (the rollback's time is in migration_events);
 * a failed rollback is recorded (event + critical notification) outside the block that failed, then
 * reported with a WARNING and FALSE instead of a re-raise that would erase the record. Like
 * apply_migration it waits for the database's migration lock for its transaction.
 */
export const ROLLBACK_MIGRATION = `
CREATE OR REPLACE FUNCTION public.rollback_migration(
    p_version VARCHAR(50),
    p_reason TEXT DEFAULT 'Manual rollback'
)
RETURNS BOOLEAN AS $fn$
DECLARE
    v_rollback_sql TEXT;
    v_error TEXT;
    v_sqlstate TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock(${MIGRATION_LOCK_KEY});
    SELECT rollback_script INTO v_rollback_sql
    FROM public.schema_migrations
    WHERE version = p_version AND status = 'applied'
    FOR UPDATE;

    IF NOT FOUND THEN
        RAISE EXCEPTION 'Migration % not found or not applied', p_version;
    END IF;
    IF v_rollback_sql IS NULL THEN
        RAISE EXCEPTION 'No rollback script available for migration %', p_version;
    END IF;

    BEGIN
        EXECUTE v_rollback_sql;

        UPDATE public.schema_migrations SET status = 'rolled_back' WHERE version = p_version;

        UPDATE public.schema_version SET
            current_version = (SELECT max(version) FROM public.schema_migrations WHERE status = 'applied'),
            applied_at = NOW(),
            applied_by = current_user
        WHERE id = 1;

        INSERT INTO public.migration_events (migration_type, version, event, actor, reason, success, detail)
        VALUES ('rollback', p_version, 'rolled_back', current_user, p_reason, TRUE,
                jsonb_build_object('via', 'rollback_migration()'));

        INSERT INTO public.system_notifications (category, title, message, severity, metadata)
        VALUES ('migration', 'Migration Rollback',
                format('Migration %s rolled back: %s', p_version, p_reason), 'warning',
                jsonb_build_object('version', p_version, 'reason', p_reason,
                                   'rolled_back_at', NOW(), 'rolled_back_by', current_user));
        RETURN TRUE;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_error = MESSAGE_TEXT, v_sqlstate = RETURNED_SQLSTATE;
    END;

    INSERT INTO public.migration_events (migration_type, version, event, actor, reason, success, error_message, detail)
    VALUES ('rollback', p_version, 'rollback_failed', current_user, p_reason, FALSE, v_error,
            jsonb_build_object('sqlstate', v_sqlstate, 'via', 'rollback_migration()'));

    INSERT INTO public.system_notifications (category, title, message, severity, metadata)
    VALUES ('migration', 'Rollback Failed',
            format('Rollback of migration %s failed: %s', p_version, v_error), 'critical',
            jsonb_build_object('version', p_version, 'error', v_error, 'rollback_failed_at', NOW()));

    RAISE WARNING 'Rollback of migration % failed: % (SQLSTATE %)', p_version, v_error, v_sqlstate;
    RETURN FALSE;
END;
$fn$ LANGUAGE plpgsql;`;
