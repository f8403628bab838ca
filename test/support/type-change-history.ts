/**
 * A live table (with a row, so no small-table exemption hides a finding) and two type changes on it:
 * varchar(50) -> varchar(200) is binary-coercible (no rewrite); int -> text rewrites the table under an
 * ACCESS EXCLUSIVE lock (changing-column-type, an error).
 */
export const TYPE_CHANGE_HISTORY: Record<string, string> = {
  "2025_11_01/001_create_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, name varchar(50), score int);\nINSERT INTO accounts VALUES (1, 'ada', 7);\n",
  "2025_11_01/rollback_001_create_accounts.sql": "DROP TABLE IF EXISTS accounts;\n",
  "2025_11_01/002_widen_name.sql": "ALTER TABLE accounts ALTER COLUMN name TYPE varchar(200);\n",
  "2025_11_01/rollback_002_widen_name.sql": "ALTER TABLE accounts ALTER COLUMN name TYPE varchar(50);\n",
  "2025_11_01/003_score_text.sql": "ALTER TABLE accounts ALTER COLUMN score TYPE text;\n",
  "2025_11_01/rollback_003_score_text.sql": "ALTER TABLE accounts ALTER COLUMN score TYPE int USING score::int;\n",
};
