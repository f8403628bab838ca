import type pg from "pg";
import type { TableFacts, TableRef } from "./plan.ts";

/** Version schemas of earlier expansions: their views are Rookery's, and complete drops them. */
const VERSION_SCHEMA_PATTERN = "^rookery_[0-9]{8}_[0-9]{6}$";

/** An index over plain columns, no expression or predicate, backing no constraint: rebuilt on a changed column's shadow. */
const PLAIN_INDEX = `x.indexprs IS NULL AND x.indpred IS NULL AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = x.indexrelid)`;

const COLUMNS_SQL = `
SELECT a.attname::text AS name,
       format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null,
       pg_get_expr(ad.adbin, ad.adrelid) AS "default",
       a.attidentity <> '' AS identity,
       a.attgenerated <> '' AS generated,
       ARRAY(
         SELECT 'index ' || i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         WHERE x.indrelid = c.oid AND (a.attnum = ANY (x.indkey)
           OR pg_get_expr(x.indexprs, x.indrelid) ~ ('\\m' || a.attname || '\\M')
           OR pg_get_expr(x.indpred, x.indrelid) ~ ('\\m' || a.attname || '\\M'))
           AND NOT (${PLAIN_INDEX})
         UNION ALL
         SELECT 'constraint ' || co.conname FROM pg_constraint co
         WHERE co.contype IN ('c', 'f', 'x') AND ((co.conrelid = c.oid AND a.attnum = ANY (co.conkey)))
         UNION ALL
         SELECT 'foreign key ' || co.conname || ' of ' || co.conrelid::regclass::text FROM pg_constraint co
         WHERE co.contype = 'f' AND co.confrelid = c.oid AND a.attnum = ANY (co.confkey)
         UNION ALL
         SELECT DISTINCT 'view ' || v.oid::regclass::text FROM pg_depend d
           JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
         WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = c.oid AND d.refobjsubid = a.attnum AND v.oid <> c.oid
           AND vn.nspname !~ '${VERSION_SCHEMA_PATTERN}'
       ) AS used_by,
       (SELECT COALESCE(json_agg(json_build_object('name', i.relname::text, 'definition', pg_get_indexdef(i.oid)) ORDER BY i.relname), '[]'::json)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = c.oid AND a.attnum = ANY (x.indkey) AND ${PLAIN_INDEX}) AS indexes,
       (SELECT s.oid::regclass::text FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
        WHERE d.refobjid = c.oid AND d.refobjsubid = a.attnum AND d.classid = 'pg_class'::regclass AND s.relkind = 'S' AND d.deptype = 'a'
        LIMIT 1) AS owned_sequence
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE c.oid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`;

/** The primary key, else a unique index over NOT NULL columns: what the backfill pages by. */
const KEY_SQL = `
SELECT ARRAY(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.ord) AS key
FROM pg_index x
WHERE x.indrelid = to_regclass($1) AND x.indisunique AND x.indisvalid AND x.indexprs IS NULL AND x.indpred IS NULL
  AND NOT EXISTS (SELECT 1 FROM unnest(x.indkey) AS k(attnum) JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum WHERE NOT a.attnotnull)
ORDER BY x.indisprimary DESC, array_length(x.indkey, 1)
LIMIT 1`;

interface ColumnRecord {
  name: string;
  type: string;
  not_null: boolean;
  default: string | null;
  identity: boolean;
  generated: boolean;
  used_by: string[];
  indexes: { name: string; definition: string }[];
  owned_sequence: string | null;
}

/** The live table, or undefined when there is no such table. */
export async function readTableFacts(client: pg.ClientBase, table: TableRef): Promise<TableFacts | undefined> {
  const name = `"${table.schema.replace(/"/g, '""')}"."${table.name.replace(/"/g, '""')}"`;
  const { rows: kind } = await client.query<{ relkind: string | null; rls: boolean }>(
    "SELECT c.relkind::text AS relkind, c.relrowsecurity AS rls FROM pg_class c WHERE c.oid = to_regclass($1)",
    [name],
  );
  if (!kind[0] || !["r", "p"].includes(kind[0].relkind ?? "")) return undefined;
  const { rows } = await client.query<ColumnRecord>(COLUMNS_SQL, [name]);
  const { rows: keys } = await client.query<{ key: string[] }>(KEY_SQL, [name]);
  return {
    schema: table.schema,
    name: table.name,
    columns: rows.map((row) => ({
      name: row.name,
      type: row.type,
      notNull: row.not_null,
      default: row.default,
      identity: row.identity,
      generated: row.generated,
      usedBy: row.used_by,
      indexes: row.indexes,
      ownedSequence: row.owned_sequence,
    })),
    key: keys[0]?.key ?? [],
    rowSecurity: kind[0].rls,
  };
}
