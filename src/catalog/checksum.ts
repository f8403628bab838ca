import * as crypto from "node:crypto";

/** Line endings normalised to LF, so a Windows checkout of the same file is not drift. */
export function normaliseLineEndings(text: string): string {
  // Most files have no CR: the test is one scan, the replacement a scan and a copy.
  return text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
}

/**
 * One call per text where Node has it (`crypto.hash`, Node 20.12): a Hash object per file was most of
 * the checksums' cost when a command reads every file of a long history. Same digest either way.
 */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === "function" ? (text) => crypto.hash("sha256", text, "hex") : (text) => crypto.createHash("sha256").update(text, "utf8").digest("hex");

/** SHA-256 hex of the normalised text: 64 characters, fits the ledger's `checksum VARCHAR(64)`. */
export function checksumOf(text: string): string {
  return sha256Hex(normaliseLineEndings(text));
}
