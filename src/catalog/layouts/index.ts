import { UsageError } from "../../errors.ts";
import { dbmateLayout } from "./dbmate.ts";
import { flywayLayout } from "./flyway.ts";
import { golangMigrateLayout } from "./golang-migrate.ts";
import { gooseLayout } from "./goose.ts";
import type { Layout, LayoutName, SqlFile } from "./layout.ts";
import { nodePgMigrateLayout } from "./node-pg-migrate.ts";
import { rookeryLayout } from "./rookery.ts";

export { LAYOUT_NAMES, nonBlankLines, type Layout, type LayoutEntry, type LayoutName, type SqlFile } from "./layout.ts";

/** Every layout, one file each; the document's first. */
export const LAYOUTS: Record<LayoutName, Layout> = {
  rookery: rookeryLayout,
  "golang-migrate": golangMigrateLayout,
  flyway: flywayLayout,
  dbmate: dbmateLayout,
  goose: gooseLayout,
  "node-pg-migrate": nodePgMigrateLayout,
};

const CLAIM_ORDER = Object.values(LAYOUTS);

/**
 * The folder's layout: the configured one, or the one its files are in. A folder whose files are in
 * two layouts is refused with an example of each (one history, one way of naming it); files that
 * fit no layout are left to the chosen layout, which names them.
 */
export function layoutOf(files: SqlFile[], configured: LayoutName | "auto", dir: string): Layout {
  if (configured !== "auto") return LAYOUTS[configured];
  const found = new Map<LayoutName, string[]>();
  for (const file of files) {
    // dbmate, goose and node-pg-migrate files are told apart by their markers; a file with two kinds is the first's.
    const layout = CLAIM_ORDER.find((candidate) => candidate.claims(file));
    if (!layout) continue;
    const paths = found.get(layout.name);
    if (paths) paths.push(file.relative);
    else found.set(layout.name, [file.relative]);
  }
  if (found.size > 1) {
    const kinds = [...found].map(([name, paths]) => `${paths.length} ${name} file(s) (e.g. ${paths[0]})`).join(", ");
    throw new UsageError(`the migrations folder ${dir} mixes layouts: ${kinds}`, {
      hint: `Keep one history in one layout, or set \`layout:\` in rookery.config.yml (${Object.keys(LAYOUTS).join(", ")}) to read only that one.`,
    });
  }
  return LAYOUTS[[...found.keys()][0] ?? "rookery"];
}
