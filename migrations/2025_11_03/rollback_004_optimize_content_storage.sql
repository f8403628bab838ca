-- Undoes 004_optimize_content_storage (its policy goes with the table).
DROP TABLE IF EXISTS campaign_contents;
