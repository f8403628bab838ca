import type pg from "pg";
import type { Environment } from "../config/index.ts";
import { readExpansion, readLedgerEntry, readLedgerEntryForRollback, type LedgerEntry, type RollbackLedgerEntry } from "../ledger/index.ts";
import { NoRollbackScriptError, NothingToRollbackError } from "./errors.ts";
import { withLedgerClient } from "../session/session.ts";
import type { RollbackReport } from "./types.ts";

export interface RollbackPreview {
  version: string;
  description: string;
  appliedAt: string;
  appliedBy: string;
  /** The document's check: applied less than an hour ago calls for caution. */
  safety: RollbackReport["safety"];
}

export type RollbackCandidate = LedgerEntry & { rollbackScript: string; safety: RollbackReport["safety"] };

/** The applied ledger row with its stored rollback script, or the refusal a user can act on, from a row already read. */
export function rollbackCandidateOf(version: string, entry: RollbackLedgerEntry | undefined): RollbackCandidate {
  if (!entry || entry.status !== "applied") throw new NothingToRollbackError(version, entry?.status);
  if (entry.rollbackScript === null) throw new NoRollbackScriptError(version);
  const { recent, ...row } = entry;
  return { ...row, rollbackScript: entry.rollbackScript, safety: recent ? "RECENT_MIGRATION_CAUTION" : "SAFE_TO_ROLLBACK" };
}

/** The applied ledger row with its stored rollback script, or the refusal a user can act on. */
export async function rollbackCandidate(client: pg.ClientBase, schema: string, version: string, lock = false): Promise<RollbackCandidate> {
  return rollbackCandidateOf(version, await readLedgerEntryForRollback(client, schema, version, lock));
}

/** What a rollback would do, shown before asking for confirmation (CLI, Slack). Throws the same refusals. */
export async function previewRollback(environment: Environment, version: string): Promise<RollbackPreview> {
  const candidate = await withLedgerClient(environment, async (client) => {
    // Expand-contract (src/expand/): rolling back an open expansion aborts it; it needs no rollback script.
    const expansion = await readExpansion(client, environment.ledgerSchema, version);
    if (expansion?.state === "expanding" || expansion?.state === "expanded") {
      const entry = await readLedgerEntry(client, environment.ledgerSchema, version);
      return { description: entry?.description ?? "", appliedAt: expansion.startedAt, appliedBy: expansion.actor ?? "", safety: "SAFE_TO_ROLLBACK" as const };
    }
    return rollbackCandidate(client, environment.ledgerSchema, version);
  });
  return {
    version,
    description: candidate.description,
    appliedAt: candidate.appliedAt,
    appliedBy: candidate.appliedBy,
    safety: candidate.safety,
  };
}
