import { z } from "zod";
import { UsageError } from "../errors.ts";

/** The ledger's version format: `YYYYMMDD_HHMMSS`, the document's `valid_version` constraint. */
export const VERSION_PATTERN = /^[0-9]{8}_[0-9]{6}$/;

function isRealDate(yyyymmdd: string): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export const Version = z
  .string()
  .regex(VERSION_PATTERN, "a version looks like 20251101_000001 (YYYYMMDD_HHMMSS)")
  // Year 0000 is no date: it is where another tool's sequence numbers map (`000042` -> `00000000_000042`).
  .refine((version) => isRealDate(version.slice(0, 8)) || version.startsWith("0000"), "the version's date is not a real date");

/** A version typed by a user, checked, or a usage error saying what a version looks like. */
export function parseVersion(text: string): string {
  const parsed = Version.safeParse(text.trim());
  if (!parsed.success) {
    throw new UsageError(`"${text}" is not a migration version`, {
      hint: "A version looks like 20251101_000001 (YYYYMMDD_HHMMSS); `rookery status` lists them.",
    });
  }
  return parsed.data;
}

/** `2025_11_01` + `001` is `20251101_000001`: the folder's date and the sequence number, zero-padded. */
export function versionFromLayout(folder: string, sequence: string): string | undefined {
  const match = /^(\d{4})_(\d{2})_(\d{2})$/.exec(folder);
  if (!match || !/^\d{1,6}$/.test(sequence)) return undefined;
  const version = `${match[1]}${match[2]}${match[3]}_${sequence.padStart(6, "0")}`;
  return Version.safeParse(version).success ? version : undefined;
}
