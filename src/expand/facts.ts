import type pg from "pg";
import type { TableFacts, TableRef } from "./plan.ts";

/** Version schemas of earlier expansions: their views are Rookery's, and complete drops them. */
const VERSION_SCHEMA_PATTERN = "^rookery_[0-9]{8}_[0-9]{6}$";

/** An index that uses the column: as a key, or in an expression or its predicate (recorded in pg_depend). */
const INDEX_USES_COLUMN = `x.indrelid = c.oid AND (a.attnum = ANY (x.indkey) OR EXISTS (
           SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = x.indexrelid
             AND d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid AND d.refobjsubid = a.attnum))`;

/**
 * What a changed column's shadow gets copies of: every index over it backing no constraint (plain,
 * expression, partial), a PRIMARY KEY's or UNIQUE constraint's index (not deferrable: the copy becomes
 * the constraint at complete), and CHECK constraints (copied NOT VALID, validated after the backfill).
 * What cannot be moved (`used_by`): exclusion constraints, foreign keys either side (a key another table
 * references), deferrable keys, views (other than the version schemas' own), generated columns computed from it.
 */
const COLUMNS_SQL = `
SELECT a.attname::text AS name,
       format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null,
       pg_get_expr(ad.adbin, ad.adrelid) AS "default",
       a.attidentity <> '' AS identity,
       a.attgenerated <> '' AS generated,
       ARRAY(
         SELECT CASE co.contype WHEN 'p' THEN 'deferrable primary key ' WHEN 'u' THEN 'deferrable unique constraint ' WHEN 'x' THEN 'exclusion constraint ' END || co.conname
         FROM pg_constraint co
         WHERE co.conrelid = c.oid AND a.attnum = ANY (co.conkey) AND (co.contype = 'x' OR (co.contype IN ('p', 'u') AND co.condeferrable))
         UNION ALL
         SELECT 'foreign key ' || co.conname FROM pg_constraint co
         WHERE co.contype = 'f' AND co.conrelid = c.oid AND a.attnum = ANY (co.conkey)
         UNION ALL
         SELECT 'foreign key ' || co.conname || ' of ' || co.conrelid::regclass::text FROM pg_constraint co
         WHERE co.contype = 'f' AND co.confrelid = c.oid AND a.attnum = ANY (co.confkey)
         UNION ALL
         SELECT DISTINCT 'view ' || v.oid::regclass::text FROM pg_depend d
           JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
         WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = c.oid AND d.refobjsubid = a.attnum AND v.oid <> c.oid
           AND vn.nspname !~ '${VERSION_SCHEMA_PATTERN}'
         UNION ALL
         SELECT 'generated column ' || quote_ident(g.attname) FROM pg_depend d
           JOIN pg_attrdef gd ON gd.oid = d.objid JOIN pg_attribute g ON g.attrelid = gd.adrelid AND g.attnum = gd.adnum
         WHERE d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid AND d.refobjsubid = a.attnum
           AND g.attgenerated <> '' AND g.attnum <> a.attnum
       ) AS used_by,
       (SELECT COALESCE(json_agg(json_build_object('name', i.relname::text, 'definition', pg_get_indexdef(i.oid), 'constraint', co.conname::text, 'primary', co.contype = 'p') ORDER BY i.relname), '[]'::json)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        LEFT JOIN pg_constraint co ON co.conindid = x.indexrelid AND co.conrelid = x.indrelid
        WHERE ${INDEX_USES_COLUMN} AND (co.oid IS NULL OR (co.contype IN ('p', 'u') AND NOT co.condeferrable))) AS indexes,
       (SELECT COALESCE(json_agg(json_build_object('name', co.conname::text, 'definition', pg_get_constraintdef(co.oid)) ORDER BY co.conname), '[]'::json)
        FROM pg_constraint co
        WHERE co.contype = 'c' AND co.conrelid = c.oid AND a.attnum = ANY (co.conkey) AND co.conname !~ '^_rookery_') AS checks,
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
  indexes: { name: string; definition: string; constraint: string | null; primary: boolean }[];
  checks: { name: string; definition: string }[];
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
      indexes: row.indexes.map(({ name, definition, constraint, primary }) =>
        constraint ? { name, definition, constraint: { name: constraint, kind: primary ? ("PRIMARY KEY" as const) : ("UNIQUE" as const) } } : { name, definition },
      ),
      checks: row.checks,
      ownedSequence: row.owned_sequence,
    })),
    key: keys[0]?.key ?? [],
    rowSecurity: kind[0].rls,
  };
}
