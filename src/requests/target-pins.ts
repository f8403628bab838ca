import { pinsOf } from "../catalog/pins.ts";
import type { Migration } from "../catalog/index.ts";

/**
 * A request across targets (docs/targets.md) pins each target's files on their own: `checksums` is keyed
 * `target:version`, since two targets' folders may hold the same version with different text.
 */
export function targetPinKey(target: string, version: string): string {
  return `${target}:${version}`;
}

export function isPinnedOnATarget(checksums: Record<string, string>, version: string): boolean {
  return Object.keys(checksums).some((key) => key.endsWith(`:${version}`));
}

/** One target's pinned versions and checksums, in version order. */
export function pinsOfTarget(checksums: Record<string, string>, target: string): Record<string, string> {
  const prefix = `${target}:`;
  return Object.fromEntries(
    Object.entries(checksums)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, checksum]) => [key.slice(prefix.length), checksum])
      .sort(([a], [b]) => a!.localeCompare(b!)),
  );
}

/** The targets a request across targets pinned files of, so its run plans those alone (one version pins one target). */
export function pinnedTargets(checksums: Record<string, string>): Set<string> {
  return new Set(Object.keys(checksums).filter((key) => key.includes(":")).map((key) => key.slice(0, key.indexOf(":"))));
}

export function isAcrossTargets(checksums: Record<string, string>): boolean {
  return Object.keys(checksums).some((key) => key.includes(":"));
}

/** The pins of a request across targets: every file of every target's folder (and its rollback file), keyed `target:version`. */
export function pinTargets(targets: { target: string; migrations: Pick<Migration, "version" | "checksum" | "rollback">[] }[]): { versions: string[]; checksums: Record<string, string> } {
  const checksums: Record<string, string> = {};
  for (const { target, migrations } of targets) {
    for (const [key, checksum] of Object.entries(pinsOf(migrations))) checksums[targetPinKey(target, key)] = checksum;
  }
  const versions = [...new Set(targets.flatMap(({ migrations }) => migrations.map((migration) => migration.version)))].sort();
  return { versions, checksums };
}
