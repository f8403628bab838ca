-- description: Row level security: each tenant sees only its own campaigns, leads and email accounts
-- The application sets the tenant per transaction: SELECT set_config('app.current_tenant_id', $1, true).
-- Without it current_setting(..., true) is NULL and a policy matches no row: fail closed.
-- Not FORCEd: the table owner (migrations, maintenance jobs) still sees every row.
-- Each ALTER TABLE takes a brief ACCESS EXCLUSIVE lock (catalog change only, no rewrite);
-- lock_timeout keeps it from queueing the application behind a long transaction.

CREATE POLICY tenant_isolation ON campaigns
    USING (tenant_id = NULLIF(current_setting('app.current_tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant_id', true), '')::uuid);
ALTER TABLE campaigns ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON leads
    USING (tenant_id = NULLIF(current_setting('app.current_tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant_id', true), '')::uuid);
ALTER TABLE leads ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON email_accounts
    USING (tenant_id = NULLIF(current_setting('app.current_tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant_id', true), '')::uuid);
ALTER TABLE email_accounts ENABLE ROW LEVEL SECURITY;
