-- Undoes 002_add_performance_indexes, concurrently, so reads and writes go on meanwhile.
DROP INDEX CONCURRENTLY IF EXISTS idx_connection_pool_metrics_pool_sampled;
DROP INDEX CONCURRENTLY IF EXISTS idx_connection_pool_configs_tenant_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_leads_tenant_email;
DROP INDEX CONCURRENTLY IF EXISTS idx_leads_campaign_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_leads_tenant_campaign;
DROP INDEX CONCURRENTLY IF EXISTS idx_campaigns_email_account_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_campaigns_tenant_status;
