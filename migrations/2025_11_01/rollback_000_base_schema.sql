-- Undoes 000_base_schema: dependants first.
DROP TABLE IF EXISTS leads;
DROP TABLE IF EXISTS campaigns;
DROP TABLE IF EXISTS email_accounts;
DROP TABLE IF EXISTS tenants;
