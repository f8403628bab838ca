/**
 * How another tool's version becomes the ledger's `YYYYMMDD_HHMMSS` (the document's CHECK), the
 * same way every time so a file keeps its version:
 * - a plain sequence number of up to 10 digits is its number, zero-padded: `000042` -> `00000000_000042`
 *   (year 0000: never a date, so never confused with a timestamp);
 * - 13 digits are milliseconds since 1970 (node-pg-migrate's default), in UTC, to the second;
 * - 14 digits are `YYYYMMDDHHMMSS`; 15 to 20 digits a timestamp with a fraction, whose first 14 count.
 * Two files that land on the same version are a collision, named by the catalog.
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
  if (digits.length >= 14 && digits.length <= 20 && isTimestamp(digits.slice(0, 14))) {
    return { version: `${digits.slice(0, 8)}_${digits.slice(8, 14)}` };
  }
  return {
    problem: `version ${digits} maps onto no YYYYMMDD_HHMMSS (a sequence of up to 10 digits, 13-digit epoch milliseconds, or a 14 to 20 digit timestamp); renumber the file`,
  };
}

function isTimestamp(digits: string): boolean {
  const [year, month, day, hour, minute, second] = [0, 4, 6, 8, 10, 12].map((at, index) => Number(digits.slice(at, at + (index === 0 ? 4 : 2))));
  const date = new Date(Date.UTC(year!, month! - 1, day!));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month! - 1 && date.getUTCDate() === day && hour! < 24 && minute! < 60 && second! < 60;
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
