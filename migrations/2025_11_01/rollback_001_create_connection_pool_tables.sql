-- Undoes 001_create_connection_pool_tables.
DROP TABLE IF EXISTS connection_pool_metrics;
DROP TABLE IF EXISTS connection_pool_configs;
