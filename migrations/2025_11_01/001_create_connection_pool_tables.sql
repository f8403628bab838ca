-- description: Connection pool settings per tenant and pool usage samples
-- New tables only (DDL Add): nothing the application reads is locked.

CREATE TABLE connection_pool_configs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE,
    pool_name text NOT NULL UNIQUE,
    pool_mode text NOT NULL DEFAULT 'transaction' CHECK (pool_mode IN ('session', 'transaction', 'statement')),
    max_connections integer NOT NULL DEFAULT 20 CHECK (max_connections > 0),
    min_idle_connections integer NOT NULL DEFAULT 2 CHECK (min_idle_connections >= 0),
    idle_timeout_seconds integer NOT NULL DEFAULT 300 CHECK (idle_timeout_seconds > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (min_idle_connections <= max_connections)
);

CREATE TABLE connection_pool_metrics (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pool_id bigint NOT NULL REFERENCES connection_pool_configs (id) ON DELETE CASCADE,
    sampled_at timestamptz NOT NULL DEFAULT now(),
    active_connections integer NOT NULL CHECK (active_connections >= 0),
    idle_connections integer NOT NULL CHECK (idle_connections >= 0),
    waiting_clients integer NOT NULL DEFAULT 0 CHECK (waiting_clients >= 0)
);
