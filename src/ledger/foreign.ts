import pg from "pg";
import { RookeryError } from "../errors.ts";

/** A migration tool whose own ledger table Rookery recognises in a database. */
export type ForeignTool = "golang-migrate" | "Rails" | "dbmate" | "goose" | "Flyway" | "Liquibase" | "node-pg-migrate" | "sqitch" | "Prisma";

export interface ForeignLedger {
  tool: ForeignTool;
  /** `schema.table`, as found. */
  table: string;
  /** How many rows it holds: the migrations that tool recorded. */
  rows: number;
}

interface TableShape {
  schema: string;
  table: string;
  /** `name type`, in column order: `version bigint`, `dirty boolean`. */
  columns: string[];
}

const CANDIDATE_TABLES = ["schema_migrations", "schema_version", "goose_db_version", "flyway_schema_history", "databasechangelog", "pgmigrations", "changes", "_prisma_migrations"];

/** The tables of Rookery's ledger that another tool's table of the same name can stand in the way of. */
export const LEDGER_TABLE_NAMES = ["schema_migrations", "schema_version"];

/** Which tool made this table, judged by its name and columns the way each tool creates it. */
function toolOf(shape: TableShape, railsMetadata: Set<string>): ForeignTool | undefined {
  const has = (column: string) => shape.columns.some((each) => each === column || each.startsWith(`${column} `));
  const names = shape.columns.map((each) => each.split(" ")[0]);
  switch (shape.table) {
    case "schema_migrations":
      if (has("description") && has("applied_by")) return undefined; // Rookery's own (the document's) table
      if (names.join(",") === "version,dirty") return "golang-migrate";
      if (names.join(",") === "version" && railsMetadata.has(shape.schema)) return "Rails";
      if (names.join(",") === "version") return shape.columns[0] === "version character varying(128)" ? "dbmate" : "Rails";
      return undefined;
    case "goose_db_version":
      return has("version_id") && has("is_applied") ? "goose" : undefined;
    case "flyway_schema_history":
    // Flyway's name for it before 5.0, kept by many histories since (`flyway.table=schema_version`).
    case "schema_version":
      return has("installed_rank") && has("script") ? "Flyway" : undefined;
    case "databasechangelog":
      return has("orderexecuted") && has("md5sum") ? "Liquibase" : undefined;
    case "pgmigrations":
      return names.join(",") === "id,name,run_on" ? "node-pg-migrate" : undefined;
    case "changes":
      return shape.schema === "sqitch" && has("change_id") && has("script_hash") ? "sqitch" : undefined;
    case "_prisma_migrations":
      return has("migration_name") && has("applied_steps_count") ? "Prisma" : undefined;
    default:
      return undefined;
  }
}

/** The tables named `names` (in `schema`, or in any user schema), each with its columns as `name type`. */
async function tableShapes(client: pg.ClientBase, names: string[], schema?: string): Promise<TableShape[]> {
  const { rows } = await client.query<TableShape>(
    `SELECT n.nspname AS schema, c.relname AS table,
            array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum) AS columns
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relkind IN ('r', 'p') AND c.relname = ANY($1::text[])
        AND ($2::text IS NULL OR n.nspname = $2) AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      GROUP BY 1, 2
      ORDER BY 1, 2`,
    [names, schema ?? null],
  );
  return rows;
}

/**
 * The other migration tools' ledgers in the database: golang-migrate's and Rails' and dbmate's
 * `schema_migrations`, goose's `goose_db_version`, Flyway's `flyway_schema_history` (or `schema_version`), Liquibase's
 * `databasechangelog`, node-pg-migrate's `pgmigrations`, sqitch's `sqitch.changes`, Prisma's
 * `_prisma_migrations`; in any schema.
 */
export async function findForeignLedgers(client: pg.ClientBase): Promise<ForeignLedger[]> {
  const rows = await tableShapes(client, [...CANDIDATE_TABLES, "ar_internal_metadata"]);
  const railsMetadata = new Set(rows.filter((row) => row.table === "ar_internal_metadata").map((row) => row.schema));
  const found: ForeignLedger[] = [];
  for (const row of rows) {
    const tool = toolOf(row, railsMetadata);
    if (!tool) continue;
    const table = `${pg.escapeIdentifier(row.schema)}.${pg.escapeIdentifier(row.table)}`;
    const count = await client.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${table}`).catch(() => undefined);
    found.push({ tool, table: `${row.schema}.${row.table}`, rows: count?.rows[0]?.count ?? 0 });
  }
  return found;
}

/** `rookery import --from TOOL` exists for these; for the others, baseline is the way in. */
const IMPORTABLE: Partial<Record<ForeignTool, string>> = {
  "golang-migrate": "golang-migrate",
  Flyway: "flyway",
  dbmate: "dbmate",
  goose: "goose",
  "node-pg-migrate": "node-pg-migrate",
};

/** What to do about another tool's ledger: import it where Rookery can, else baseline. */
export function adoptionAdvice(ledger: ForeignLedger): string {
  const importFrom = IMPORTABLE[ledger.tool];
  return importFrom
    ? `\`rookery import --from ${importFrom}\` records what ${ledger.tool} applied (its table is left as it is), or \`rookery baseline VERSION\` records every version up to VERSION as applied without running it`
    : `\`rookery baseline VERSION\` records every version up to VERSION as applied without running it (${ledger.tool}'s table is left as it is)`;
}

/**
 * Rookery's ledger schema holds another tool's `schema_migrations` or `schema_version`: the document's
 * table cannot be created there, and nothing was changed.
 */
export class ForeignLedgerTableError extends RookeryError {
  readonly ledger: ForeignLedger;

  constructor(ledger: ForeignLedger, schema: string) {
    super(`${ledger.table} is ${ledger.tool}'s migration table (${ledger.rows} row(s)), not Rookery's ledger; nothing was changed`, {
      hint:
        `Keep it and put Rookery's ledger beside it: set \`ledgerSchema: rookery\` (any schema but ${schema}) for this environment in rookery.config.yml. ` +
        `Then ${adoptionAdvice(ledger)}.`,
    });
    this.ledger = ledger;
  }
}

/** Which columns make a table of the ledger schema Rookery's (the document's, created by Rookery or by hand). */
const LEDGER_COLUMNS: Record<string, string[]> = { schema_migrations: ["description", "applied_by"], schema_version: ["current_version"] };

/**
 * A table of the ledger schema named like one of Rookery's that is not Rookery's and that no tool
 * Rookery knows made (Ecto's `schema_migrations (version bigint, inserted_at)`, a home-made one):
 * the ledger cannot be created there.
 */
export async function strangerLedgerTable(client: pg.ClientBase, schema: string): Promise<TableShape | undefined> {
  const rows = await tableShapes(client, LEDGER_TABLE_NAMES, schema);
  return rows.find((shape) => !LEDGER_COLUMNS[shape.table]!.every((column) => shape.columns.some((each) => each.startsWith(`${column} `))));
}

/** A table of another making where the ledger's belongs (see strangerLedgerTable): nothing was changed. */
export class StrangerLedgerTableError extends RookeryError {
  constructor(shape: TableShape) {
    super(
      `${shape.schema}.${shape.table} (${shape.columns.join(", ")}) is not Rookery's ledger, nor a migration table of a tool Rookery knows; nothing was changed`,
      {
        hint:
          `Keep it and put Rookery's ledger beside it: set \`ledgerSchema: rookery\` (any schema but ${shape.schema}) for this environment in rookery.config.yml. ` +
          "Then `rookery baseline VERSION` records every version up to VERSION as applied without running it.",
      },
    );
  }
}

/**
 * Rookery's ledger is empty and another tool recorded migrations here: `apply --all` would run the
 * whole history again on a database that already has it.
 */
export class UnadoptedForeignLedgerError extends RookeryError {
  constructor(ledgers: ForeignLedger[]) {
    const named = ledgers.map((ledger) => `${ledger.tool}'s ${ledger.table} (${ledger.rows} row(s))`).join(", ");
    super(`this database's migrations are recorded by another tool: ${named}; Rookery's ledger is empty, so apply would run the whole history again; nothing was applied`, {
      hint: `First ${adoptionAdvice(ledgers[0]!)}. If that table belongs to something else, pass --ignore-foreign-ledger.`,
    });
  }
}
