-- Undoes 003_enhance_security_policies.
ALTER TABLE IF EXISTS email_accounts DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON email_accounts;

ALTER TABLE IF EXISTS leads DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON leads;

ALTER TABLE IF EXISTS campaigns DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON campaigns;
