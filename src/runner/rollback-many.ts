import type pg from "pg";
import { loadParser } from "../analysis/parse.ts";
import { compareNames } from "../catalog/read.ts";
import { RookeryError, UsageError } from "../errors.ts";
import { openExpansionVersions, readLedger, readLedgerForRollback, type LedgerEntry } from "../ledger/index.ts";
import { rollbackFailed, rollbackInSession, rollbackStarts, storedScript, storedScriptsNeedParser, type RollbackRun, type StoredScript } from "./rollback.ts";
import { rollbackBatch, rollbackBatchSize, type BatchedRollback } from "./rollback-batch.ts";
import { BATCH_MAX_MIGRATIONS } from "./execute-batch.ts";
import { wantsArchiveRestore } from "./archive.ts";
import { rollbackCandidateOf } from "./rollback-safety.ts";
import { isLockTimeout } from "../session/retry.ts";
import { sqlstateOf } from "../session/execution.ts";
import { withLedgerClient, withRunnerSession } from "../session/session.ts";
import type { RollbackReport, RunContext } from "./types.ts";

export interface RollbackManyOptions {
  /** Roll back every applied version newer than this one; it stays applied. */
  to?: string;
  /** Roll back the N newest applied versions. */
  last?: number;
  /**
   * Roll back exactly these, pinned when a request was approved: they must still be the newest applied
   * versions (one applied since is refused); any already rolled back (a retried job) are passed over.
   */
  versions?: string[];
  /** One reason for every version of the run. */
  reason: string;
  /**
   * Told the versions the run rolls back, newest first, once it holds the lock and before any runs (the CLI
   * lists them and asks the policy), with the run's session for what the caller reads of this database.
   */
  onTargets?: (versions: string[], session: pg.ClientBase) => void | Promise<void>;
}

export interface RollbackManyReport {
  environment: string;
  reason: string;
  /** In the order they ran: newest first. */
  rolledBack: RollbackReport[];
  /** The version that failed, and why; the run stopped there and older versions stay applied. */
  failed?: { version: string; error: string };
  /** Versions that were to be rolled back after the failure, left applied. */
  notRun: string[];
}

/**
 * The applied versions to roll back, newest first: in the catalog's order (`compareNames`, what
 * `localeCompare` gives without creating ICU's collator, 10-25 ms of a run's CPU).
 */
function targetsOf(ledger: Map<string, LedgerEntry>, options: RollbackManyOptions): LedgerEntry[] {
  const applied = [...ledger.values()].filter((entry) => entry.status === "applied").sort((a, b) => compareNames(b.version, a.version));
  if (options.versions !== undefined) {
    const pinned = new Set(options.versions);
    const oldest = [...pinned].sort()[0] ?? "";
    const since = applied.filter((entry) => entry.version > oldest && !pinned.has(entry.version)).map((entry) => entry.version);
    if (since.length > 0) {
      throw new RookeryError(`${since.join(", ")} ${since.length === 1 ? "was" : "were"} applied after this rollback was requested; rolling back around ${since.length === 1 ? "it" : "them"} is refused, nothing was rolled back`, {
        hint: "Ask again: the new request lists every version it rolls back.",
      });
    }
    return applied.filter((entry) => pinned.has(entry.version));
  }
  if (options.to !== undefined) {
    const target = ledger.get(options.to);
    if (!target || target.status !== "applied") {
      throw new UsageError(`${options.to} is not applied here, so there is nothing to roll back to`, {
        hint: "Name an applied version (`rookery status` lists them): every applied version after it is rolled back.",
      });
    }
    return applied.filter((entry) => entry.version > options.to!);
  }
  return applied.slice(0, options.last);
}

/** The versions a run would roll back, newest first, as the ledger stands now (for the CLI's preview and the policy). */
export async function rollbackTargets(environment: RunContext["environment"], options: RollbackManyOptions): Promise<string[]> {
  const ledger = await withLedgerClient(environment, (client) => readLedger(client, environment.ledgerSchema));
  return targetsOf(ledger, options).map((entry) => entry.version);
}

/**
 * Rolls several versions back in one run, newest first, under one hold of the migration lock: each
 * in its own transaction with the rollback script stored when it was applied, the same reason for
 * all. Before anything runs, every version must have a stored script (one without refuses the whole
 * run, naming each). The first failure is recorded and stops the run; the versions before it stay
 * rolled back, the ones after it stay applied.
 */
export async function rollbackMigrations(ctx: RunContext, options: RollbackManyOptions): Promise<RollbackManyReport> {
  const reason = options.reason.trim();
  if (reason === "") throw new UsageError("a rollback needs a reason", { hint: "Say why, e.g. --reason \"checkout latency doubled\"." });
  if ([options.to, options.last, options.versions].filter((given) => given !== undefined).length !== 1) {
    throw new UsageError("give either --to VERSION or --last N", { hint: "rookery rollback --to 20251101_000001 --reason \"why\", or --last 3." });
  }
  if (options.last !== undefined && (!Number.isInteger(options.last) || options.last < 1)) {
    throw new UsageError(`--last takes a positive whole number, got ${options.last}`, { hint: "rookery rollback --last 3 --reason \"why\"" });
  }
  return withRunnerSession(ctx, async (client, lockPid) => {
    // Read once, under the lock: only this run changes the ledger now, one version's row at a time.
    const ledger = await readLedgerForRollback(client, ctx.environment.ledgerSchema);
    const expansions = await openExpansionVersions(client, ctx.environment.ledgerSchema);
    const targets = targetsOf(ledger, options);
    await options.onTargets?.(targets.map((entry) => entry.version), client);
    const scriptless = targets.filter((entry) => entry.rollbackScript === null).map((entry) => entry.version);
    if (scriptless.length > 0) {
      throw new RookeryError(`${scriptless.join(", ")} ${scriptless.length === 1 ? "has" : "have"} no rollback script stored, so the run cannot go past ${scriptless.length === 1 ? "it" : "them"}; nothing was rolled back`, {
        hint: "Roll back to a version after it, or write a new migration that undoes it.",
      });
    }
    const report: RollbackManyReport = { environment: ctx.environment.name, reason, rolledBack: [], notRun: [] };
    const run: RollbackRun = {};
    // The targets are the newest applied versions (targetsOf) and only this run changes the ledger now, so once a
    // target is rolled back the newest still applied is the next applied version below it.
    const applied = [...ledger.values()].filter((row) => row.status === "applied").map((row) => row.version).sort().reverse();
    const currentAfter = (version: string) => applied[applied.indexOf(version) + 1] ?? null;
    // The parser's WebAssembly is loaded only for a run with a script to parse (storedScript).
    if (storedScriptsNeedParser(targets.map((entry) => entry.rollbackScript))) await loadParser();
    // Set once Postgres refused a batch's text whole: every script is parsed from then on, so one the parser refuses stops the run at its turn, named.
    let parseAll = false;
    // Set once Postgres refused a batch's text whole and the parser found nothing at fault: versions go one at a time from then on.
    let oneAtATime = false;
    // Each stored script is made ready while the version before it is on the server; a syntax error is thrown when its version's turn comes.
    const parsed = new Map<string, StoredScript | Error>();
    const parse = (entry: LedgerEntry | undefined) => {
      const script = entry && ledger.get(entry.version)?.rollbackScript;
      if (!entry || typeof script !== "string" || parsed.has(entry.version)) return;
      try {
        parsed.set(entry.version, storedScript(entry.version, script, parseAll));
      } catch (error) {
        parsed.set(entry.version, error instanceof Error ? error : new Error(String(error)));
      }
    };
    const scriptOf = (entry: LedgerEntry) => {
      parse(entry);
      const result = parsed.get(entry.version)!;
      if (result instanceof Error) throw result;
      parsed.delete(entry.version);
      return result;
    };
    // The version whose start was told last: a batch Postgres refused whole runs again, and its first version is not told twice.
    let toldStart: string | undefined;
    const announce = (index: number) => ctx.onProgress?.({ step: "rollback", version: targets[index]!.version, message: `rolling back ${targets[index]!.version} (${index + 1}/${targets.length})` });
    const stopAt = (index: number, error: unknown) => {
      if (!(error instanceof RookeryError)) throw error;
      report.failed = { version: targets[index]!.version, error: error.message };
      report.notRun = targets.slice(index + 1).map((later) => later.version);
    };
    /** A version that may go in a batch: its script ready, in one transaction, no archive to restore, no open expansion. */
    const batchable = (entry: LedgerEntry): BatchedRollback | undefined => {
      if (expansions.has(entry.version)) return undefined;
      const row = ledger.get(entry.version);
      if (!row || row.status !== "applied" || row.rollbackScript === null || wantsArchiveRestore(row.rollbackScript)) return undefined;
      parse(entry);
      const script = parsed.get(entry.version);
      if (!script || script instanceof Error || script.outside) return undefined;
      return { version: entry.version, candidate: rollbackCandidateOf(entry.version, row), statementCount: script.statementCount, currentAfter: currentAfter(entry.version) };
    };
    let index = 0;
    while (index < targets.length) {
      let firstFailure: unknown;
      // After the first version (its reason bound), plain rollbacks in a row go to the server in one query (src/runner/rollback-batch.ts).
      const reasonEventId = run.reasonEventId;
      const items: BatchedRollback[] = [];
      if (reasonEventId !== undefined && !oneAtATime) {
        for (const entry of targets.slice(index, index + BATCH_MAX_MIGRATIONS)) {
          const item = batchable(entry);
          if (!item) break;
          items.push(item);
        }
      }
      const size = rollbackBatchSize(client, ctx, items);
      if (size > 0) {
        const batch = items.slice(0, size);
        const first = index;
        const starts = async (at: number) => {
          if (batch[at]!.version === toldStart) return;
          toldStart = batch[at]!.version;
          await announce(first + at);
          await ctx.onProgress?.(rollbackStarts(batch[at]!.version, batch[at]!.candidate, false));
        };
        await starts(0);
        let started = performance.now();
        let told = Promise.resolve();
        const running = rollbackBatch(ctx, client, batch, { reasonEventId: reasonEventId!, lockPid }, (done) => {
          const now = performance.now();
          const { version, candidate } = batch[done]!;
          report.rolledBack.push({ environment: ctx.environment.name, version, reason, durationMs: Math.round(now - started), safety: candidate.safety });
          parsed.delete(version);
          started = now;
          told = told.then(async () => {
            await ctx.onProgress?.({ step: "done", version, message: `${version} rolled back` });
            if (done + 1 < batch.length) await starts(done + 1);
          });
          // Awaited once the batch ends: a listener that failed meanwhile is not an unhandled rejection.
          told.catch(() => {});
        });
        // The query is on its way (rollbackBatch sends it before it first waits): the next batch's scripts are parsed while the server runs this one.
        for (const next of targets.slice(index + batch.length, index + batch.length + BATCH_MAX_MIGRATIONS)) parse(next);
        const outcome = await running;
        await told;
        index += outcome.committed;
        if (outcome.failure === undefined) continue;
        if (outcome.ranNone && sqlstateOf(outcome.failure) !== undefined) {
          // Postgres refused the batch's whole text at its parse, before running any of it, which does not say whose script
          // was at fault. With every script parsed, the versions before one the parser refuses go on, and that one stops the
          // run at its turn with the parser's error, as if parsed from the start. Where the parser refuses none (Postgres's
          // grammar older than the parser's), the versions go one at a time: the one at fault then fails alone, named.
          if (!parseAll) {
            parseAll = true;
            parsed.clear();
            await loadParser();
            continue;
          }
          if (!oneAtATime) {
            oneAtATime = true;
            continue;
          }
        }
        if (!isLockTimeout(outcome.failure)) {
          try {
            await rollbackFailed(ctx, client, { version: targets[index]!.version, reason, outside: false }, outcome.failure);
          } catch (error) {
            stopAt(index, error);
          }
          break;
        }
        // A lock not granted in time is tried again as rollbackInSession tries it, this first try counted.
        firstFailure = outcome.failure;
      } else if (targets[index]!.version !== toldStart) {
        await announce(index);
      }
      const entry = targets[index]!;
      try {
        const read = {
          entry: ledger.get(entry.version),
          expansionOpen: expansions.has(entry.version),
          run,
          currentAfter: currentAfter(entry.version),
          script: () => scriptOf(entry),
          meanwhile: () => parse(targets[index + 1]),
          lockPid,
          announced: firstFailure !== undefined || entry.version === toldStart,
          firstFailure,
        };
        report.rolledBack.push(await rollbackInSession(ctx, client, { version: entry.version, reason }, reason, read));
      } catch (error) {
        stopAt(index, error);
        break;
      }
      index++;
    }
    await ctx.onProgress?.({
      step: "done",
      message: report.failed
        ? `${report.rolledBack.length} rolled back, ${report.failed.version} failed: ${report.failed.error}`
        : `${report.rolledBack.length} rolled back`,
    });
    return report;
  });
}
