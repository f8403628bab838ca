/**
 * `SELECT alert_migration_issues()`: one open notification per problem state (failed / rolled back
 * version), however often it runs; a state that has cleared has its notification resolved. The
 * document inserted a new row on every run, in upper-case severities unlike the rest of its table.
 */
export const ALERT_MIGRATION_ISSUES = `
CREATE OR REPLACE FUNCTION public.alert_migration_issues()
RETURNS void AS $fn$
BEGIN
    INSERT INTO public.system_notifications (category, title, message, severity, metadata, dedupe_key)
    SELECT 'migration',
           format('Migration %s requires attention', h.version),
           format('Migration %s status: %s. Applied: %s hours ago', h.version, h.status, round(h.hours_since_application, 1)),
           lower(h.alert_level),
           jsonb_build_object('version', h.version, 'status', h.status,
                              'hours_since_application', round(h.hours_since_application, 2),
                              'health_status', h.health_status),
           format('migration_health:%s:%s', h.version, h.status)
    FROM public.migration_health h
    WHERE h.alert_level IN ('CRITICAL', 'WARNING')
    ON CONFLICT (dedupe_key) WHERE resolved_at IS NULL DO NOTHING;

    UPDATE public.system_notifications n SET resolved_at = NOW()
    WHERE n.resolved_at IS NULL
      AND n.dedupe_key LIKE 'migration\\_health:%'
      AND NOT EXISTS (
          SELECT 1 FROM public.migration_health h
          WHERE h.alert_level IN ('CRITICAL', 'WARNING')
            AND n.dedupe_key = format('migration_health:%s:%s', h.version, h.status)
      );
END;
$fn$ LANGUAGE plpgsql;`;
