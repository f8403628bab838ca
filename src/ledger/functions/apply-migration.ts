import { MIGRATION_LOCK_KEY } from "../lock-keys.ts";

/**
 * `SELECT apply_migration(version, description, sql, rollback_sql)` for a DBA at psql, with the
 * document's defects fixed:
 * - the failure is caught in an inner block (whose changes roll back to its savepoint), then recorded
 *   outside it and reported with a WARNING and FALSE; re-raising would roll the record back too;
 * - a version that failed or was rolled back is applied again (rookery_record_migration upserts the row);
 * - the checksum is the same SHA-256 of the LF-normalised text that `rookery` computes, not md5;
 * - it waits for the database's migration lock (held by a running `rookery apply`) for its transaction.
 * Statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY) fail here with a hint:
 * `rookery apply` runs them outside one.
 */
export const APPLY_MIGRATION = `
CREATE OR REPLACE FUNCTION public.rookery_checksum(p_text TEXT)
RETURNS VARCHAR(64) LANGUAGE sql IMMUTABLE AS $fn$
    SELECT encode(sha256(convert_to(regexp_replace(p_text, E'\\r\\n?', E'\\n', 'g'), 'UTF8')), 'hex')
$fn$;

CREATE OR REPLACE FUNCTION public.apply_migration(
    p_version VARCHAR(50),
    p_description TEXT,
    p_migration_sql TEXT,
    p_rollback_sql TEXT DEFAULT NULL
)
RETURNS BOOLEAN AS $fn$
DECLARE
    v_checksum VARCHAR(64) := public.rookery_checksum(p_migration_sql);
    v_error TEXT;
    v_sqlstate TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock(${MIGRATION_LOCK_KEY});
    IF EXISTS (SELECT 1 FROM public.schema_migrations WHERE version = p_version AND status = 'applied') THEN
        RAISE NOTICE 'Migration % already applied', p_version;
        RETURN FALSE;
    END IF;

    BEGIN
        EXECUTE p_migration_sql;

        PERFORM public.rookery_record_migration(p_version, p_description, p_rollback_sql, v_checksum, current_user, 'applied');

        INSERT INTO public.migration_events (migration_type, version, event, actor, success, detail)
        VALUES ('apply', p_version, 'applied', current_user, TRUE,
                jsonb_build_object('checksum', v_checksum, 'via', 'apply_migration()'));
        RETURN TRUE;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_error = MESSAGE_TEXT, v_sqlstate = RETURNED_SQLSTATE;
    END;

    PERFORM public.rookery_record_migration(p_version, p_description, p_rollback_sql, v_checksum, current_user, 'failed');

    INSERT INTO public.migration_events (migration_type, version, event, actor, success, error_message, detail)
    VALUES ('apply', p_version, 'failed', current_user, FALSE, v_error,
            jsonb_build_object('sqlstate', v_sqlstate, 'checksum', v_checksum, 'via', 'apply_migration()'));

    RAISE WARNING 'Migration % failed: % (SQLSTATE %)', p_version, v_error, v_sqlstate
        USING HINT = CASE WHEN v_sqlstate = '25001'
            THEN 'The file holds a statement that cannot run in a transaction; apply it with rookery apply, which runs it outside one.'
            ELSE 'Fix the migration and apply it again; the failure is recorded in schema_migrations and migration_events.' END;
    RETURN FALSE;
END;
$fn$ LANGUAGE plpgsql;`;
