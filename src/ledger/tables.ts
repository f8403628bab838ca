/**
 * The ledger's tables. `schema_migrations` and `schema_version` are the design document's, column for
 * column and constraint for constraint, so a database set up by hand from the document is adopted as it
 * is. Everything Rookery adds to an existing table is a nullable column or a new index: nothing is
 * dropped or rewritten.
 */

export const SCHEMA_MIGRATIONS = `
CREATE TABLE IF NOT EXISTS public.schema_migrations (
    id BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    version VARCHAR(50) NOT NULL UNIQUE,
    description TEXT NOT NULL,
    applied_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    applied_by VARCHAR(100) NOT NULL,
    rollback_script TEXT,
    checksum VARCHAR(64),
    status VARCHAR(20) DEFAULT 'applied' CHECK (status IN ('applied', 'rolled_back', 'failed')),
    CONSTRAINT valid_version CHECK (version ~ '^[0-9]{8}_[0-9]{6}$')
);`;

/**
 * A fresh ledger starts with no current version (nothing is applied yet); a ledger created from the
 * document keeps its own initial row.
 */
export const SCHEMA_VERSION = `
CREATE TABLE IF NOT EXISTS public.schema_version (
    id INTEGER PRIMARY KEY DEFAULT 1,
    current_version VARCHAR(50),
    applied_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    applied_by VARCHAR(100),
    CONSTRAINT single_row CHECK (id = 1)
);
INSERT INTO public.schema_version (id, current_version, applied_by) VALUES (1, NULL, 'system')
ON CONFLICT (id) DO NOTHING;`;

/**
 * The document's event table, extended into the full history: the document's UNIQUE version keeps one
 * row per version in schema_migrations, so every apply, failure and rollback is an event here.
 * `executed_at` (the document's column) is when it happened; `id` orders them (history reads newest
 * first by id, so no index on time slows every write).
 */
export const MIGRATION_EVENTS = `
CREATE TABLE IF NOT EXISTS public.migration_events (
    id BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    migration_type VARCHAR(50),
    affected_tenants INTEGER,
    tenant_context UUID,
    executed_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    success BOOLEAN DEFAULT TRUE,
    error_message TEXT
);
ALTER TABLE public.migration_events
    ADD COLUMN IF NOT EXISTS version VARCHAR(50),
    ADD COLUMN IF NOT EXISTS event VARCHAR(30),
    ADD COLUMN IF NOT EXISTS actor VARCHAR(100),
    ADD COLUMN IF NOT EXISTS reason TEXT,
    ADD COLUMN IF NOT EXISTS detail JSONB DEFAULT '{}'::jsonb;
CREATE INDEX IF NOT EXISTS migration_events_version_idx ON public.migration_events (version);`;

/**
 * The document writes to system_notifications but never defines it. Severities are lower-case
 * everywhere; `dedupe_key` lets an alert about one state exist once while it is unresolved.
 */
export const SYSTEM_NOTIFICATIONS = `
CREATE TABLE IF NOT EXISTS public.system_notifications (
    id BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    category VARCHAR(50) NOT NULL,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    severity VARCHAR(20) NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    metadata JSONB DEFAULT '{}'::jsonb,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    resolved_at TIMESTAMP WITH TIME ZONE,
    dedupe_key TEXT
);
ALTER TABLE public.system_notifications
    ADD COLUMN IF NOT EXISTS metadata JSONB DEFAULT '{}'::jsonb,
    ADD COLUMN IF NOT EXISTS created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    ADD COLUMN IF NOT EXISTS resolved_at TIMESTAMP WITH TIME ZONE,
    ADD COLUMN IF NOT EXISTS dedupe_key TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS system_notifications_open_dedupe_key
    ON public.system_notifications (dedupe_key) WHERE resolved_at IS NULL;`;

/**
 * The document's view, unchanged in shape (CREATE OR REPLACE keeps an adopted one's columns). One
 * state more than the document's: an applied version whose latest rollback failed (its row still
 * says `applied`, only the `rollback_failed` event tells) is ROLLBACK_FAILED, a CRITICAL.
 */
export const MIGRATION_HEALTH = `
CREATE OR REPLACE VIEW public.migration_health AS
SELECT
    sm.version,
    sm.description,
    sm.applied_at,
    sm.applied_by,
    sm.status,
    EXTRACT(EPOCH FROM (NOW() - sm.applied_at))/3600 as hours_since_application,
    CASE
        WHEN sm.status = 'applied' AND last_change.event = 'rollback_failed'
        THEN 'ROLLBACK_FAILED'
        WHEN sm.status = 'applied' AND EXTRACT(EPOCH FROM (NOW() - sm.applied_at))/3600 < 1
        THEN 'NEWLY_APPLIED'
        WHEN sm.status = 'applied'
        THEN 'HEALTHY'
        WHEN sm.status = 'rolled_back'
        THEN 'ROLLED_BACK'
        WHEN sm.status = 'failed'
        THEN 'FAILED'
    END as health_status,
    CASE
        WHEN sm.status = 'failed' THEN 'CRITICAL'
        WHEN sm.status = 'applied' AND last_change.event = 'rollback_failed' THEN 'CRITICAL'
        WHEN sm.status = 'rolled_back' THEN 'WARNING'
        WHEN sm.status = 'applied' AND EXTRACT(EPOCH FROM (NOW() - sm.applied_at))/3600 > 168 THEN 'INFO'
        ELSE 'OK'
    END as alert_level
FROM public.schema_migrations sm
LEFT JOIN LATERAL (
    SELECT e.event FROM public.migration_events e
    WHERE e.version = sm.version AND e.event IN ('applied', 'rolled_back', 'rollback_failed')
    ORDER BY e.id DESC LIMIT 1
) last_change ON TRUE
ORDER BY sm.applied_at DESC;`;
