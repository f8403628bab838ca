import { createHash } from "node:crypto";

/** Line endings normalised to LF, so a Windows checkout of the same file is not drift. */
export function normaliseLineEndings(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

/** SHA-256 hex of the normalised text: 64 characters, fits the ledger's `checksum VARCHAR(64)`. */
export function checksumOf(text: string): string {
  return createHash("sha256").update(normaliseLineEndings(text), "utf8").digest("hex");
}
