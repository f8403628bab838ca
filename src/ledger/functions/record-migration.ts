/**
 * `rookery_record_migration(...)`: the one way a migration's row is written, by the engine and by the
 * SQL functions alike. The document's UNIQUE version keeps one row per version, so the row is upserted:
 * a failed or rolled back version can be applied again. A failure keeps the rollback script stored by
 * the last successful apply. An apply also moves schema_version to the highest applied version.
 */
export const RECORD_MIGRATION = `
CREATE OR REPLACE FUNCTION public.rookery_record_migration(
    p_version VARCHAR(50),
    p_description TEXT,
    p_rollback_script TEXT,
    p_checksum VARCHAR(64),
    p_actor TEXT,
    p_status VARCHAR(20)
)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO public.schema_migrations (version, description, rollback_script, checksum, applied_by, status, applied_at)
    VALUES (p_version, p_description, p_rollback_script, p_checksum, p_actor, p_status, NOW())
    ON CONFLICT (version) DO UPDATE SET
        description = EXCLUDED.description,
        rollback_script = CASE WHEN EXCLUDED.status = 'applied' THEN EXCLUDED.rollback_script ELSE schema_migrations.rollback_script END,
        checksum = EXCLUDED.checksum,
        applied_by = EXCLUDED.applied_by,
        status = EXCLUDED.status,
        applied_at = NOW();

    IF p_status = 'applied' THEN
        INSERT INTO public.schema_version (id, current_version, applied_at, applied_by)
        VALUES (1, (SELECT max(version) FROM public.schema_migrations WHERE status = 'applied'), NOW(), p_actor)
        ON CONFLICT (id) DO UPDATE SET
            current_version = EXCLUDED.current_version,
            applied_at = NOW(),
            applied_by = EXCLUDED.applied_by;
    END IF;
END;
$fn$;`;
