/**
 * `rookery_mark_progress(label)`: a notice that the next migration (or rollback) of a batch starts
 * (src/runner/execute-batch.ts). Postgres holds a query's replies until the query ends or its buffer
 * fills, but sends a notice at once, and the replies before it with it: so the runner learns that the
 * one before committed while the server goes on, and progress and durations stay those of each.
 */
export const MARK_PROGRESS = `
CREATE OR REPLACE FUNCTION public.rookery_mark_progress(p_label TEXT)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE NOTICE 'rookery: %', p_label;
END;
$fn$;`;
