import { pinsOf, type Catalog } from "../catalog/index.ts";
import { catalogOf, type Target } from "../targets/index.ts";

/** A few targets' catalogs per worker: one per target a request runs on, whatever the fleet's size. */
const KEPT = 8;
const kept = new Map<string, Catalog>();

/** Every pinned file (and rollback file) of the catalog has the checksum its approval pinned. */
function holdsPins(catalog: Catalog, pins: Record<string, string>): boolean {
  const present = pinsOf(catalog.migrations);
  return Object.entries(pins).every(([key, checksum]) => present[key] === checksum);
}

/**
 * The target's migrations as a request's database jobs run them: read once per worker while the files
 * the request pinned are the ones read, not once per database. A fleet of 200 databases with 300 files
 * read the folder (600 files, each hashed) 200 times, 50 to 100 ms each. A catalog that no longer holds
 * the pins (a new request, a resume after the files were fixed) is read again; with no pins (nothing to
 * compare with) the folder is always read.
 */
export function pinnedCatalog(target: Target, pins: Record<string, string>): Catalog {
  const key = `${target.environment.name}\u0000${target.name}\u0000${target.dir}`;
  const cached = kept.get(key);
  if (cached && Object.keys(pins).length > 0 && holdsPins(cached, pins)) return cached;
  const catalog = catalogOf(target);
  kept.delete(key);
  kept.set(key, catalog);
  while (kept.size > KEPT) kept.delete(kept.keys().next().value!);
  return catalog;
}
