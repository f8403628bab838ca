/**
 * `SELECT apply_tenant_safe_migration(sql, tenant_id)` for a DBA at psql. The document's version
 * failed outright when any of campaigns, leads, email_accounts was missing: the affected-tenant count
 * now reads only the tables that exist (and have a tenant_id column). Like apply_migration, a failure
 * is recorded in migration_events and reported with a WARNING and FALSE rather than erased by a re-raise.
 */
export const APPLY_TENANT_SAFE_MIGRATION = `
CREATE OR REPLACE FUNCTION public.apply_tenant_safe_migration(
    p_migration_sql TEXT,
    p_tenant_id UUID DEFAULT NULL
)
RETURNS BOOLEAN AS $fn$
DECLARE
    v_affected_tenants INTEGER := 0;
    v_union TEXT;
    v_error TEXT;
    v_sqlstate TEXT;
BEGIN
    IF p_tenant_id IS NOT NULL THEN
        IF to_regclass('tenants') IS NULL THEN
            RAISE EXCEPTION 'Tenant % cannot be checked: there is no tenants table', p_tenant_id;
        END IF;
        EXECUTE 'SELECT 1 FROM tenants WHERE id = $1' USING p_tenant_id;
        GET DIAGNOSTICS v_affected_tenants = ROW_COUNT;
        IF v_affected_tenants = 0 THEN
            RAISE EXCEPTION 'Tenant % not found', p_tenant_id;
        END IF;
    END IF;

    SELECT string_agg(format('SELECT tenant_id FROM %s', c.oid::regclass), ' UNION ') INTO v_union
    FROM unnest(ARRAY['campaigns', 'leads', 'email_accounts']) AS t(name)
    JOIN pg_catalog.pg_class c ON c.oid = to_regclass(t.name)
    WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped);
    IF v_union IS NOT NULL THEN
        EXECUTE format('SELECT count(DISTINCT tenant_id) FROM (%s) tenant_data', v_union) INTO v_affected_tenants;
    ELSE
        v_affected_tenants := 0;
    END IF;

    BEGIN
        IF p_tenant_id IS NOT NULL THEN
            PERFORM set_config('app.current_tenant_id', p_tenant_id::TEXT, true);
        END IF;
        EXECUTE p_migration_sql;
        INSERT INTO public.migration_events (migration_type, affected_tenants, tenant_context, executed_at, event, actor, success)
        VALUES ('tenant_safe', v_affected_tenants, p_tenant_id, NOW(), 'tenant_applied', current_user, TRUE);
        RETURN TRUE;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_error = MESSAGE_TEXT, v_sqlstate = RETURNED_SQLSTATE;
    END;

    INSERT INTO public.migration_events (migration_type, affected_tenants, tenant_context, executed_at, event, actor, success, error_message, detail)
    VALUES ('tenant_safe', v_affected_tenants, p_tenant_id, NOW(), 'tenant_failed', current_user, FALSE, v_error,
            jsonb_build_object('sqlstate', v_sqlstate));
    RAISE WARNING 'Tenant-safe migration failed: % (SQLSTATE %)', v_error, v_sqlstate;
    RETURN FALSE;
END;
$fn$ LANGUAGE plpgsql;`;
