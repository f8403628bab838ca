import * as z from "zod";
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
  // Versions mapped from another tool's files need not be real dates: years before 1900 hold sequence
  // numbers (`000042` -> `00000000_000042`) and packed 20-digit versions, and some histories use day or
  // month 00 as a prefix (`20191100_000001`). See version-mapping.ts.
  .refine((version) => isRealDate(version.slice(0, 8)) || Number(version.slice(0, 4)) < 1900 || isDatePrefix(version.slice(0, 8)), "the version's date is not a real date");

/** A month of 00 to 12 and a day of 00 to 31 with one of them 00: a prefix that sorts like a date. */
function isDatePrefix(yyyymmdd: string): boolean {
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  return month <= 12 && day <= 31 && (month === 0 || day === 0);
}

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
