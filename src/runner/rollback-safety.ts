import type pg from "pg";
import type { Environment } from "../config/index.ts";
import { inLedgerSchema, readExpansion, readLedgerEntry, type LedgerEntry } from "../ledger/index.ts";
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

/** The applied ledger row with its stored rollback script, or the refusal a user can act on. */
export async function rollbackCandidate(client: pg.ClientBase, schema: string, version: string, lock = false): Promise<LedgerEntry & { rollbackScript: string; safety: RollbackReport["safety"] }> {
  const entry = await readLedgerEntry(client, schema, version, lock);
  if (!entry || entry.status !== "applied") throw new NothingToRollbackError(version, entry?.status);
  if (entry.rollbackScript === null) throw new NoRollbackScriptError(version);
  const { rows } = await client.query<{ recent: boolean }>(
    inLedgerSchema("SELECT applied_at > NOW() - INTERVAL '1 hour' AS recent FROM public.schema_migrations WHERE version = $1", schema),
    [version],
  );
  return { ...entry, rollbackScript: entry.rollbackScript, safety: rows[0]?.recent ? "RECENT_MIGRATION_CAUTION" : "SAFE_TO_ROLLBACK" };
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
