import { setImmediate as nextTurn } from "node:timers/promises";
import { dropInsertTrees, loadParser, type NodeFilter, type Statement } from "../analysis/parse.ts";
import { runnableStatements } from "./statements.ts";
import type { Migration } from "./types.ts";

/** Parse for this long, then let the session's replies in: short next to a round trip of setup. */
const TURN_MS = 4;

/**
 * Files larger than this are not parsed ahead: before the ledger is read nobody knows whether they are
 * pending, and an applied 50 MB file cost seconds and gigabytes at every run. They are parsed once known pending.
 */
const AHEAD_MAX_CHARS = 256 * 1024;

/**
 * Parses a run's files while its session is being set up: connecting, creating the ledger, taking the
 * lock and reading the ledger again are round trips the parser fills, a few milliseconds of parsing per turn of the
 * event loop so their replies are handled soon after they arrive. Once the pending files are known, the
 * others are skipped. Each file is parsed once; its statements are what runs.
 */
export class ParseAhead {
  private readonly results = new Map<Migration, Statement[] | Error>();
  private wanted: ((migration: Migration) => boolean) | undefined;
  private readonly done: Promise<unknown>;

  constructor(private readonly migrations: Migration[]) {
    // Never rejects: a failure to load the parser is kept and thrown by statementsOf.
    this.done = this.parseAll().catch((error: unknown) => error);
  }

  private async parseAll(): Promise<void> {
    await loadParser();
    let turnStarted = performance.now();
    for (const migration of this.migrations) {
      if (this.wanted ? !this.wanted(migration) : migration.sql.length > AHEAD_MAX_CHARS) continue;
      this.results.set(migration, parseOrError(migration));
      if (performance.now() - turnStarted > TURN_MS) {
        await nextTurn();
        turnStarted = performance.now();
      }
    }
  }

  /**
   * The statements of each pending migration, in order. A syntax error or a file's own BEGIN/COMMIT
   * in any of them throws (the first in order), before anything runs.
   */
  async statementsOf(pending: Migration[]): Promise<Statement[][]> {
    const set = new Set(pending);
    this.wanted = (migration) => set.has(migration);
    const failure = await this.done;
    if (failure) throw failure;
    return pending.map((migration) => {
      const result = this.results.get(migration) ?? parseOrError(migration);
      if (result instanceof Error) throw result;
      return result;
    });
  }

  /** The run ended early (lock timeout, ...): parse nothing more. */
  stop(): void {
    this.wanted = () => false;
  }
}

/**
 * The runner looks at an INSERT's tree only to check tenant isolation (and expand-contract derives its
 * steps from the file): elsewhere an INSERT's tree is dropped, which is most of a data file's memory.
 */
function treesTheRunnerReads(migration: Migration): NodeFilter | undefined {
  if (migration.tenantScoped || migration.expandContract) return undefined;
  return dropInsertTrees;
}

/**
 * A file's statements, kept with its Migration: a fleet's databases share one catalog per worker
 * (src/queue/pinned-catalog.ts), so each of its files is parsed once, not once per database. Only
 * files small enough to parse ahead are kept, so a large data file's statements are not held.
 */
const parsed = new WeakMap<Migration, Statement[] | Error>();

function parseOrError(migration: Migration): Statement[] | Error {
  const known = parsed.get(migration);
  if (known) return known;
  let result: Statement[] | Error;
  try {
    result = runnableStatements(migration.sql, migration.path, treesTheRunnerReads(migration));
  } catch (error) {
    result = error instanceof Error ? error : new Error(String(error));
  }
  if (migration.sql.length <= AHEAD_MAX_CHARS) parsed.set(migration, result);
  return result;
}
