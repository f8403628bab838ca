import type { Migration } from "../catalog/index.ts";
import { UsageError } from "../errors.ts";
import { catalogOf, type Target } from "./resolve.ts";

export interface TargetVersions {
  target: Target;
  /** The named versions as that target's folder holds them, in the order named. */
  migrations: Migration[];
}

/**
 * Named versions on an environment with targets (docs/targets.md): the one target whose folder holds
 * them. A version in no folder, in several (two folders may reuse a version), or versions spread over
 * targets are refused naming the targets, so `--target NAME` can say which is meant.
 */
export function targetOfVersions(environment: string, targets: Target[], versions: string[], planCommand: string): TargetVersions {
  const holding = targets.map((target) => ({ target, catalog: catalogOf(target) }));
  const names = targets.map((target) => target.name).join(", ");
  const holders = new Map<string, string[]>();
  for (const version of versions) {
    const found = holding.filter(({ catalog }) => catalog.byVersion.has(version)).map(({ target }) => target.name);
    if (found.length === 0) {
      throw new UsageError(`there is no migration ${version} in the folder of ${targets.length === 1 ? `target ${names}` : `any target of ${environment} (${names})`}`, {
        hint: `${planCommand} lists what is pending on each target.`,
      });
    }
    if (found.length > 1) {
      throw new UsageError(`${version} is in the folders of ${found.length} targets of ${environment} (${found.join(", ")}): name one with --target`, {
        hint: `e.g. --target ${found[0]}; each target has its own ledger, so it runs on one at a time.`,
      });
    }
    holders.set(version, found);
  }
  const owners = [...new Set([...holders.values()].flat())];
  if (owners.length > 1) {
    const where = [...holders].map(([version, [owner]]) => `${version} in ${owner}`).join(", ");
    throw new UsageError(`these versions belong to different targets (${where}): apply them one target at a time`, {
      hint: `Name one target's versions with --target, e.g. --target ${owners[0]}.`,
    });
  }
  const { target, catalog } = holding.find((each) => each.target.name === owners[0])!;
  return { target, migrations: versions.map((version) => catalog.byVersion.get(version)!) };
}
