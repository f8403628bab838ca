import type pg from "pg";
import type { Statement } from "../analysis/parse.ts";
import type { Migration } from "../catalog/index.ts";
import { deriveOperations } from "./derive.ts";
import { readDirectives } from "./directives.ts";
import { openExpansionOn } from "../ledger/index.ts";
import { ExpandRefusedError, ExpansionConflictError, ExpansionsInOneRunError } from "./errors.ts";
import { readTableFacts } from "./facts.ts";
import { operationOf } from "./operations/index.ts";
import { tableKey, versionSchemaName, type ExpandStep, type ExpansionPlan, type OperationSpec, type TableFacts } from "./plan.ts";
import { syncRules, syncTriggerSql, versionShapes } from "./shape.ts";
import type { BackfillWork } from "./plan.ts";

/**
 * Refuses, before anything of a run is applied or recorded, an expand-contract file whose tables
 * another version's expansion still holds (one expansion per table at a time), naming that version,
 * and two expand-contract files of the same run that touch one table (the second could only expand
 * once the first is completed), naming both files and the tables. A version resuming its own
 * interrupted expansion passes. Every file is checked for statements that cannot run in two phases.
 */
export async function refuseConflictingExpansions(client: pg.ClientBase, ledgerSchema: string, runs: readonly { migration: Migration; statements: readonly Statement[] }[]): Promise<void> {
  const earlier: { migration: Migration; tables: string[] }[] = [];
  for (const { migration, statements } of runs) {
    if (!migration.expandContract) continue;
    const tables = touchedTables({ specs: operationsOf(migration, statements) });
    const other = await openExpansionOn(client, ledgerSchema, tables, migration.version);
    if (other) throw new ExpansionConflictError(migration.version, other.version, other.tables.filter((table) => tables.includes(table)));
    const first = earlier.find((candidate) => candidate.tables.some((table) => tables.includes(table)));
    if (first) throw new ExpansionsInOneRunError(first.migration, migration, first.tables.filter((table) => tables.includes(table)));
    earlier.push({ migration, tables });
  }
}

/** The operations of a file, or the refusal naming every statement that cannot run in two phases. Needs no database. */
export function operationsOf(migration: Migration, statements: readonly Statement[]): OperationSpec[] {
  const { specs, problems } = deriveOperations(statements, readDirectives(migration.sql));
  if (specs.length === 0 && problems.length === 0) problems.push("it holds no statement to run in two phases");
  problems.push(...sameNameProblems(specs));
  if (problems.length > 0) throw new ExpandRefusedError(migration.path, problems);
  return specs;
}

/**
 * The version's schema has one view (or stand-in) per name: tables of one name in two schemas
 * (tenant_a.items, tenant_b.items) would share it, the second replacing the first.
 */
function sameNameProblems(specs: OperationSpec[]): string[] {
  const schemaOf = new Map<string, string>();
  const problems = new Set<string>();
  for (const spec of specs) {
    for (const name of spec.op === "rename-table" ? [spec.table.name, spec.to] : [spec.table.name]) {
      const seen = schemaOf.get(name);
      if (seen === undefined) schemaOf.set(name, spec.table.schema);
      else if (seen !== spec.table.schema) {
        problems.add(`line ${spec.origin.line}: ${seen}.${name} and ${spec.table.schema}.${name} would both be ${name} in the version's schema, which has one view per name: expand them in separate migrations`);
      }
    }
  }
  return [...problems];
}

/**
 * An index or CHECK over two columns that both change type would be copied once per column under one
 * name (`_rookery_<name>`): the second build fails after the backfill. Refused before any DDL.
 */
function sharedCopyProblems(specs: OperationSpec[], facts: Record<string, TableFacts>): string[] {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const spec of specs) {
    if (spec.op !== "alter-column-type") continue;
    const column = facts[tableKey(spec.table)]?.columns.find((candidate) => candidate.name === spec.column);
    const copied = [...(column?.indexes ?? []).map((index) => `index ${index.name}`), ...(column?.checks ?? []).map((check) => `check ${check.name}`)];
    for (const what of copied) {
      const key = `${tableKey(spec.table)} ${what}`;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, spec.column);
      else {
        problems.push(
          `line ${spec.origin.line}: ${what} covers both ${spec.table.name}.${first} and ${spec.table.name}.${spec.column}, whose types this file changes; it cannot be copied onto both new columns in one expansion: change them in two expand-contract migrations`,
        );
      }
    }
  }
  return problems;
}

/**
 * The plan of an expansion: the operations, checked one by one in file order against the live
 * tables as they will be by then (a column added earlier in the file exists for a later constraint).
 */
export async function planExpansion(client: pg.ClientBase, migration: Migration, statements: readonly Statement[], batchSize: number): Promise<ExpansionPlan> {
  const specs = operationsOf(migration, statements);
  const facts: Record<string, TableFacts> = {};
  const working: Record<string, TableFacts> = {};
  const problems: string[] = [];
  for (const spec of specs) {
    const key = tableKey(spec.table);
    if (!(key in facts)) {
      const found = await readTableFacts(client, spec.table);
      if (!found) {
        problems.push(`line ${spec.origin.line}: there is no table ${spec.table.name}`);
        continue;
      }
      facts[key] = found;
      working[key] = structuredClone(found);
    }
    const current = working[key];
    if (!current) continue;
    problems.push(...operationOf(spec).validate(spec, current).map((problem) => `line ${spec.origin.line}: ${problem}`));
    if (spec.op === "add-column") {
      current.columns.push({ name: spec.column, type: spec.type, notNull: false, default: spec.default ?? null, identity: false, generated: false, usedBy: [], indexes: [], ownedSequence: null });
    }
  }
  problems.push(...sharedCopyProblems(specs, facts));
  const plan: ExpansionPlan = {
    version: migration.version,
    versionSchema: versionSchemaName(migration.version),
    specs,
    facts,
    batchSize,
    securityInvoker: await serverVersion(client) >= 150000,
  };
  for (const [key, work] of backfills(plan)) {
    if (plan.facts[key]!.key.length === 0) {
      problems.push(`${plan.facts[key]!.name} has no primary key (nor a unique index over NOT NULL columns), which the backfill pages by; add one first`);
    }
    void work;
  }
  if (problems.length > 0) throw new ExpandRefusedError(migration.path, problems);
  return plan;
}

async function serverVersion(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ version: string }>("SELECT current_setting('server_version_num') AS version");
  return Number(rows[0]?.version ?? 0);
}

/** One backfill per table: every operation's assignments in one pass. */
export function backfills(plan: ExpansionPlan): Map<string, BackfillWork> {
  const works = new Map<string, BackfillWork[]>();
  for (const spec of plan.specs) {
    const key = tableKey(spec.table);
    const work = operationOf(spec).backfill(spec, plan.facts[key]!);
    if (work) works.set(key, [...(works.get(key) ?? []), work]);
  }
  return new Map(
    [...works].map(([key, list]) => {
      const set = list.flatMap((work) => work.set);
      // Rows any of them needs; when one needs every row, every row.
      const where = list.every((work) => work.where) ? list.map((work) => `(${work.where})`).join(" OR ") : undefined;
      return [key, where ? { set, where } : { set }];
    }),
  );
}

export type PlanStep =
  | ({ kind: "sql" } & ExpandStep)
  | { kind: "backfill"; table: string; work: BackfillWork };

/**
 * The steps of expand in order; the ledger counts those done, so an interrupted expand resumes at
 * the first not done. The additive DDL and the sync triggers go in one short transaction (a check
 * on a shadow column must never see a write its trigger did not fill); concurrent index builds run
 * on their own; then the backfills, then validation of what was added NOT VALID. The views and the
 * ledger row are the last transaction, written by the caller.
 */
export function expansionSteps(plan: ExpansionPlan): PlanStep[] {
  const shapes = versionShapes(plan);
  const rules = syncRules(plan, shapes);
  const expandSteps = plan.specs.flatMap((spec) => operationOf(spec).expand(spec, plan.facts[tableKey(spec.table)]!));
  const inTransaction = expandSteps.filter((step) => !step.outsideTransaction);
  const ddl = [
    `CREATE SCHEMA IF NOT EXISTS "${plan.versionSchema}"`,
    ...inTransaction.map((step) => step.sql),
    ...[...rules].map(([key, rule]) => syncTriggerSql(plan, plan.facts[key]!, rule)),
  ];
  const steps: PlanStep[] = [
    { kind: "sql", label: [`create schema ${plan.versionSchema}`, ...inTransaction.map((step) => step.label), ...[...rules.keys()].map((key) => `sync trigger on ${plan.facts[key]!.name}`)].join("; "), sql: ddl.join(";\n") },
    ...expandSteps.filter((step) => step.outsideTransaction).map((step): PlanStep => ({ kind: "sql", ...step })),
    ...[...backfills(plan)].map(([table, work]): PlanStep => ({ kind: "backfill", table, work })),
    ...plan.specs.flatMap((spec) => operationOf(spec).settle(spec, plan.facts[tableKey(spec.table)]!)).map((step): PlanStep => ({ kind: "sql", ...step })),
  ];
  return steps;
}

/** Every table an expansion touches, by `schema.name`, including the names a RENAME TO gives. */
export function touchedTables(plan: Pick<ExpansionPlan, "specs">): string[] {
  const names = new Set<string>();
  for (const spec of plan.specs) {
    names.add(tableKey(spec.table));
    if (spec.op === "rename-table") names.add(tableKey({ schema: spec.table.schema, name: spec.to }));
  }
  return [...names].sort();
}
