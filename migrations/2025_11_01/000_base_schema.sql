-- description: Base schema: tenants, campaigns, leads, email accounts
-- The document's initial version (20251101_000000). New, empty tables: no lock on anything in use.

CREATE TABLE tenants (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    slug text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE email_accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email text NOT NULL,
    display_name text,
    daily_send_limit integer NOT NULL DEFAULT 200 CHECK (daily_send_limit > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, email)
);

CREATE TABLE campaigns (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email_account_id bigint REFERENCES email_accounts (id) ON DELETE SET NULL,
    name text NOT NULL,
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused', 'finished')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE leads (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    campaign_id bigint REFERENCES campaigns (id) ON DELETE SET NULL,
    email text NOT NULL,
    first_name text,
    last_name text,
    status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'contacted', 'replied', 'bounced', 'unsubscribed')),
    created_at timestamptz NOT NULL DEFAULT now()
);
