import type { Migration } from "./migration.ts";

/**
 * What an approval pins of a file: its checksum under its version, and its rollback file's checksum
 * under `<version>/rollback`, since the rollback stored when it is applied is the one an incident runs.
 * A migration without a rollback file pins NO_ROLLBACK_FILE, so one added after approval shows too.
 */
export const NO_ROLLBACK_FILE = "0".repeat(64);

export function rollbackPinKey(version: string): string {
  return `${version}/rollback`;
}

export function rollbackPinOf(migration: Pick<Migration, "rollback">): string {
  return migration.rollback?.checksum ?? NO_ROLLBACK_FILE;
}

/** The pins of an apply request: each file's checksum and its rollback file's. */
export function pinsOf(migrations: readonly Pick<Migration, "version" | "checksum" | "rollback">[]): Record<string, string> {
  return Object.fromEntries(migrations.flatMap((migration) => [[migration.version, migration.checksum], [rollbackPinKey(migration.version), rollbackPinOf(migration)]]));
}
