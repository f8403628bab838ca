/**
 * `SELECT * FROM test_migration_integrity(version, critical_tables)`: the document's integrity tests
 * done right. Critical tables are a parameter (the document hard-coded `tenants`); the orphan test
 * compares (schema, table) pairs instead of every schema's tables against `public` only; an INVALID
 * index (left by a failed concurrent build) fails. The document's one-argument form is kept and checks
 * no critical tables. `rookery verify` runs this same function.
 */
export const TEST_MIGRATION_INTEGRITY = `
CREATE OR REPLACE FUNCTION public.test_migration_integrity(p_version VARCHAR(50), p_critical_tables TEXT[])
RETURNS TABLE(test_name TEXT, status TEXT, details TEXT) AS $fn$
DECLARE
    v_missing TEXT[];
    v_table_count INTEGER;
BEGIN
    IF p_version IS NULL THEN
        SELECT count(*) INTO v_table_count FROM public.schema_migrations sm WHERE sm.status = 'applied';
        RETURN QUERY VALUES ('migration_recorded', 'PASS', format('%s migrations applied', v_table_count));
    ELSIF EXISTS (SELECT 1 FROM public.schema_migrations sm WHERE sm.version = p_version AND sm.status = 'applied') THEN
        RETURN QUERY VALUES ('migration_recorded', 'PASS', format('Migration %s is recorded as applied', p_version));
    ELSE
        RETURN QUERY VALUES ('migration_recorded', 'FAIL', format('Migration %s is not recorded as applied', p_version));
    END IF;

    SELECT count(*) INTO v_table_count
    FROM pg_catalog.pg_tables t
    WHERE t.schemaname NOT IN ('pg_catalog', 'information_schema') AND t.schemaname NOT LIKE 'pg_toast%';
    SELECT array_agg(format('%I.%I', s.schemaname, s.relname) ORDER BY s.schemaname, s.relname) INTO v_missing
    FROM pg_catalog.pg_stat_user_tables s
    WHERE NOT EXISTS (
        SELECT 1 FROM information_schema.tables it
        WHERE it.table_schema = s.schemaname AND it.table_name = s.relname
    );
    IF v_table_count = 0 THEN
        RETURN QUERY VALUES ('schema_consistency', 'FAIL', 'Schema appears empty');
    ELSIF v_missing IS NOT NULL THEN
        RETURN QUERY VALUES ('schema_consistency', 'WARNING',
            format('Tables invisible to %s in information_schema: %s', current_user, array_to_string(v_missing, ', ')));
    ELSE
        RETURN QUERY VALUES ('schema_consistency', 'PASS', format('Schema contains %s tables', v_table_count));
    END IF;

    SELECT array_agg(name ORDER BY name) INTO v_missing
    FROM unnest(coalesce(p_critical_tables, '{}'::TEXT[])) AS name
    WHERE to_regclass(name) IS NULL;
    IF coalesce(cardinality(p_critical_tables), 0) = 0 THEN
        RETURN QUERY VALUES ('critical_tables', 'PASS', 'No critical tables configured');
    ELSIF v_missing IS NOT NULL THEN
        RETURN QUERY VALUES ('critical_tables', 'FAIL', format('Critical tables missing: %s', array_to_string(v_missing, ', ')));
    ELSE
        RETURN QUERY VALUES ('critical_tables', 'PASS',
            format('Critical tables exist: %s', array_to_string(p_critical_tables, ', ')));
    END IF;

    SELECT array_agg(format('%I.%I', n.nspname, c.relname) ORDER BY n.nspname, c.relname) INTO v_missing
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE NOT i.indisvalid;
    IF v_missing IS NOT NULL THEN
        RETURN QUERY VALUES ('orphaned_objects', 'FAIL',
            format('INVALID indexes (left by a failed concurrent build; drop and rebuild them): %s', array_to_string(v_missing, ', ')));
    ELSE
        RETURN QUERY VALUES ('orphaned_objects', 'PASS', 'No INVALID indexes');
    END IF;
END;
$fn$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION public.test_migration_integrity(p_version VARCHAR(50))
RETURNS TABLE(test_name TEXT, status TEXT, details TEXT) AS $fn$
    SELECT * FROM public.test_migration_integrity(p_version, '{}'::TEXT[])
$fn$ LANGUAGE sql;`;
