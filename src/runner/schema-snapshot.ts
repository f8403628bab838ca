import type pg from "pg";

/**
 * The user-visible schema of a database as a map from object ("column campaigns.priority") to its
 * definition, read from pg_catalog. Two snapshots compare key by key, so a difference names the object.
 * Rookery's own archive schema and the system schemas are left out; objects in `public` are named
 * without the schema.
 */
export type SchemaSnapshot = Map<string, string>;

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'rookery_archive')
  AND n.nspname NOT LIKE 'pg_temp_%' AND n.nspname NOT LIKE 'pg_toast_temp_%'`;

/** Objects that belong to an extension are the extension's business, not the migration's. */
const NOT_FROM_EXTENSION = (objid: string, catalog: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = ${objid} AND d.classid = '${catalog}'::regclass AND d.deptype = 'e')`;

const QUERIES: { kind: string; sql: string }[] = [
  {
    kind: "schema",
    sql: `SELECT n.nspname AS name, '' AS definition FROM pg_namespace n WHERE ${USER_SCHEMAS}
          AND ${NOT_FROM_EXTENSION("n.oid", "pg_namespace")}`,
  },
  {
    kind: "table",
    sql: `SELECT n.nspname || '.' || c.relname AS name,
                 CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
                   WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' END
                 || CASE WHEN c.relrowsecurity THEN ', row level security' ELSE '' END AS definition
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${USER_SCHEMAS} AND ${NOT_FROM_EXTENSION("c.oid", "pg_class")}`,
  },
  {
    kind: "column",
    sql: `SELECT n.nspname || '.' || c.relname || '.' || a.attname AS name,
                 format_type(a.atttypid, a.atttypmod)
                 || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                 || COALESCE(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
                 || CASE WHEN a.attidentity <> '' THEN ' identity' ELSE '' END
                 || CASE WHEN a.attgenerated <> '' THEN ' generated' ELSE '' END AS definition
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
          WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${USER_SCHEMAS}
            AND ${NOT_FROM_EXTENSION("c.oid", "pg_class")}`,
  },
  {
    kind: "constraint",
    sql: `SELECT n.nspname || '.' || c.relname || '.' || co.conname AS name, pg_get_constraintdef(co.oid) AS definition
          FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE ${USER_SCHEMAS}`,
  },
  {
    kind: "index",
    sql: `SELECT n.nspname || '.' || i.relname AS name, pg_get_indexdef(i.oid) AS definition
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
          WHERE ${USER_SCHEMAS}`,
  },
  {
    kind: "view",
    sql: `SELECT n.nspname || '.' || c.relname AS name, pg_get_viewdef(c.oid) AS definition
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('v', 'm') AND ${USER_SCHEMAS} AND ${NOT_FROM_EXTENSION("c.oid", "pg_class")}`,
  },
  {
    kind: "function",
    sql: `SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name,
                 pg_get_function_result(p.oid) || ' ' || md5(p.prosrc) AS definition
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE ${USER_SCHEMAS} AND ${NOT_FROM_EXTENSION("p.oid", "pg_proc")}`,
  },
  {
    kind: "trigger",
    sql: `SELECT n.nspname || '.' || c.relname || '.' || t.tgname AS name, pg_get_triggerdef(t.oid) AS definition
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE NOT t.tgisinternal AND ${USER_SCHEMAS}`,
  },
  {
    kind: "policy",
    sql: `SELECT n.nspname || '.' || c.relname || '.' || p.polname AS name,
                 p.polcmd::text || ' ' || COALESCE(pg_get_expr(p.polqual, p.polrelid), '') || ' '
                 || COALESCE(pg_get_expr(p.polwithcheck, p.polrelid), '') AS definition
          FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE ${USER_SCHEMAS}`,
  },
  {
    kind: "type",
    sql: `SELECT n.nspname || '.' || t.typname AS name,
                 t.typtype::text || COALESCE(' ' || (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                                               FROM pg_enum e WHERE e.enumtypid = t.oid), '') AS definition
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE t.typtype IN ('e', 'd', 'c', 'r') AND ${USER_SCHEMAS}
            AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')
            AND ${NOT_FROM_EXTENSION("t.oid", "pg_type")}`,
  },
  {
    // Who may read and write what: a rollback that rebuilds a view without its grants locks the application out.
    kind: "privileges on",
    sql: `SELECT n.nspname || '.' || c.relname AS name, (SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(c.relacl) a) AS definition
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relacl IS NOT NULL AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${USER_SCHEMAS} AND ${NOT_FROM_EXTENSION("c.oid", "pg_class")}
          UNION ALL
          SELECT n.nspname || '.' || c.relname || '.' || at.attname, (SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(at.attacl) a)
          FROM pg_attribute at JOIN pg_class c ON c.oid = at.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE at.attacl IS NOT NULL AND at.attnum > 0 AND NOT at.attisdropped AND ${USER_SCHEMAS}
          UNION ALL
          SELECT 'schema ' || n.nspname, (SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(n.nspacl) a)
          FROM pg_namespace n WHERE n.nspacl IS NOT NULL AND ${USER_SCHEMAS}
          UNION ALL
          SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', (SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(p.proacl) a)
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE p.proacl IS NOT NULL AND ${USER_SCHEMAS} AND ${NOT_FROM_EXTENSION("p.oid", "pg_proc")}`,
  },
  {
    kind: "default privileges",
    sql: `SELECT pg_get_userbyid(d.defaclrole) || ' in ' || COALESCE(n.nspname, 'every schema') || ' for ' ||
                 CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions' WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' ELSE d.defaclobjtype::text END AS name,
                 (SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(d.defaclacl) a) AS definition
          FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace`,
  },
  {
    kind: "owner of",
    sql: `SELECT n.nspname || '.' || c.relname AS name, pg_get_userbyid(c.relowner) AS definition
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${USER_SCHEMAS} AND ${NOT_FROM_EXTENSION("c.oid", "pg_class")}
          UNION ALL
          SELECT 'schema ' || n.nspname, pg_get_userbyid(n.nspowner) FROM pg_namespace n WHERE ${USER_SCHEMAS}
          UNION ALL
          SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', pg_get_userbyid(p.proowner)
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${USER_SCHEMAS} AND ${NOT_FROM_EXTENSION("p.oid", "pg_proc")}
          UNION ALL
          SELECT n.nspname || '.' || t.typname, pg_get_userbyid(t.typowner)
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE t.typtype IN ('e', 'd', 'c', 'r') AND ${USER_SCHEMAS}
            AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')
            AND ${NOT_FROM_EXTENSION("t.oid", "pg_type")}`,
  },
  {
    kind: "extension",
    sql: `SELECT e.extname AS name, e.extversion AS definition FROM pg_extension e`,
  },
];

function readable(name: string): string {
  return name.replace(/^(schema )?public\./, "$1");
}

export async function snapshotSchema(client: pg.ClientBase): Promise<SchemaSnapshot> {
  const snapshot: SchemaSnapshot = new Map();
  for (const { kind, sql } of QUERIES) {
    const { rows } = await client.query<{ name: string; definition: string | null }>(sql);
    for (const row of rows) snapshot.set(`${kind} ${readable(row.name)}`, row.definition ?? "");
  }
  return snapshot;
}

/**
 * What differs between the schema before and after, each as a sentence naming the object:
 * "column campaigns.priority remains after rollback".
 */
export function compareSnapshots(before: SchemaSnapshot, after: SchemaSnapshot, when = "after rollback"): string[] {
  const differences: string[] = [];
  for (const [object, definition] of after) {
    if (!before.has(object)) differences.push(`${object} remains ${when}`);
    else if (before.get(object) !== definition) {
      differences.push(`${object} differs ${when}: was "${before.get(object)}", now "${definition}"`);
    }
  }
  for (const object of before.keys()) {
    if (!after.has(object)) differences.push(`${object} is missing ${when}`);
  }
  return differences.sort();
}
