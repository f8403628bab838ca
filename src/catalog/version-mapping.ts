/**
 * How another tool's version becomes the ledger's `YYYYMMDD_HHMMSS` (the document's CHECK), the
 * same way every time so a file keeps its version:
 * - a plain sequence number of up to 10 digits is its number, zero-padded: `000042` -> `00000000_000042`
 *   (year 0000: never a date, so never confused with a timestamp);
 * - 13 digits are milliseconds since 1970 (node-pg-migrate's default), in UTC, to the second;
 * - 14 digits are `YYYYMMDDHHMMSS` (day or month 00 is allowed: some histories use it as a prefix);
 * - 15 to 19 digits are such a timestamp with a fraction of a second, dropped;
 * - 20 digits are such a timestamp and a 6-digit sequence within that second (pop's and Ory's
 *   `20210410175418000003`: up to 90 files share one second). No readable YYYYMMDD_HHMMSS holds both,
 *   so they are packed, in order: the day (6 digits, years 1900 to 2299), the second of that day (5)
 *   and the sequence (3, up to 999): `05047464_458003`. `plan` shows each file's own version beside it.
 * Two files that land on the same version, or in another order than their own, are named by the catalog.
 */
export function versionFromNumber(digits: string): { version: string } | { problem: string } {
  if (!/^\d+$/.test(digits)) return { problem: `version "${digits}" is not a number` };
  if (digits.length <= 10) {
    const padded = digits.padStart(14, "0");
    return { version: `${padded.slice(0, 8)}_${padded.slice(8)}` };
  }
  if (digits.length === 13) {
    const iso = new Date(Number(digits)).toISOString();
    return { version: `${iso.slice(0, 10).replace(/-/g, "")}_${iso.slice(11, 19).replace(/:/g, "")}` };
  }
  const stamp = digits.length >= 14 && digits.length <= 20 ? secondOfDay(digits.slice(0, 14)) : undefined;
  if (stamp === undefined) {
    return {
      problem: `version ${digits} maps onto no YYYYMMDD_HHMMSS (a sequence of up to 10 digits, 13-digit epoch milliseconds, or a 14 to 20 digit timestamp); renumber the file`,
    };
  }
  if (digits.length === 20) return packedVersion(digits, stamp);
  return { version: `${digits.slice(0, 8)}_${digits.slice(8, 14)}` };
}

/** A 20-digit timestamp and sequence, packed in order into 14 digits (see versionFromNumber). */
function packedVersion(digits: string, secondOfTheDay: number): { version: string } | { problem: string } {
  const [year, month, day] = [digits.slice(0, 4), digits.slice(4, 6), digits.slice(6, 8)].map(Number);
  const sequence = Number(digits.slice(14));
  if (year! < 1900 || year! > 2299 || sequence > 999) {
    return { problem: `version ${digits} maps onto no YYYYMMDD_HHMMSS (a 20-digit version needs a year from 1900 to 2299 and a sequence up to 999); renumber the file` };
  }
  const dayIndex = ((year! - 1900) * 13 + month!) * 32 + day!;
  const packed = `${String(dayIndex).padStart(6, "0")}${String(secondOfTheDay).padStart(5, "0")}${String(sequence).padStart(3, "0")}`;
  return { version: `${packed.slice(0, 8)}_${packed.slice(8)}` };
}

/** The second of the day of `YYYYMMDDHHMMSS`, or undefined when a part is out of range. */
function secondOfDay(digits: string): number | undefined {
  const [month, day, hour, minute, second] = [4, 6, 8, 10, 12].map((at) => Number(digits.slice(at, at + 2)));
  if (month! > 12 || day! > 31 || hour! > 23 || minute! > 59 || second! > 59) return undefined;
  return hour! * 3600 + minute! * 60 + second!;
}

/**
 * Flyway's dotted versions keep their order: `1` -> `00000001_000000`, `1.1` -> `00000001_001000`,
 * `1.2.3` -> `00000001_002003`, `1.10` -> `00000001_010000` (major up to 9999, minor and patch up to
 * 999); a single number of 14 digits or more is a timestamp as above.
 */
export function versionFromDotted(text: string): { version: string } | { problem: string } {
  const segments = text.split(/[._]/);
  if (segments.some((segment) => !/^\d+$/.test(segment))) return { problem: `version "${text}" is not made of numbers` };
  if (segments.length === 1 && segments[0]!.length >= 13) return versionFromNumber(segments[0]!);
  const [major, minor = "0", patch = "0"] = segments.map((segment) => segment.replace(/^0+(?=\d)/, ""));
  if (segments.length > 3 || major!.length > 4 || minor.length > 3 || patch.length > 3) {
    return {
      problem: `version ${text} maps onto no YYYYMMDD_HHMMSS (up to major.minor.patch with major up to 9999, minor and patch up to 999, or a timestamp); renumber the file`,
    };
  }
  return { version: `${major!.padStart(8, "0")}_${minor.padStart(3, "0")}${patch.padStart(3, "0")}` };
}

/** The order another tool runs its versions in: numbers by value, dotted versions part by part. */
export function compareSourceVersions(a: string, b: string): number {
  const left = a.split(/[._]/).map(BigInt);
  const right = b.split(/[._]/).map(BigInt);
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const difference = (left[index] ?? 0n) - (right[index] ?? 0n);
    if (difference !== 0n) return difference < 0n ? -1 : 1;
  }
  return 0;
}
