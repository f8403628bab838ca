-- description: Indexes for the tenant-scoped lookups of campaigns, leads, email accounts and pool metrics
-- Built CONCURRENTLY (writes go on during the build), so this file runs outside a transaction:
-- only concurrent index builds belong here. IF NOT EXISTS makes a retry after a partial run safe.

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_campaigns_tenant_status ON campaigns (tenant_id, status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_campaigns_email_account_id ON campaigns (email_account_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_leads_tenant_campaign ON leads (tenant_id, campaign_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_leads_campaign_id ON leads (campaign_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_leads_tenant_email ON leads (tenant_id, lower(email));
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_connection_pool_configs_tenant_id ON connection_pool_configs (tenant_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_connection_pool_metrics_pool_sampled ON connection_pool_metrics (pool_id, sampled_at DESC);
