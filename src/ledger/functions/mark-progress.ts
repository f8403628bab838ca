/**
 * `rookery_mark_progress(version)`: a notice that a migration of a batch (src/runner/execute-batch.ts)
 * starts. Postgres holds a query's replies until the query ends or its buffer fills, but sends a notice
 * at once, and the replies before it with it: so the runner learns that the migration before committed
 * while the server goes on, and its progress and durations stay those of each migration.
 */
export const MARK_PROGRESS = `
CREATE OR REPLACE FUNCTION public.rookery_mark_progress(p_version VARCHAR(50))
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE NOTICE 'rookery: applying %', p_version;
END;
$fn$;`;
