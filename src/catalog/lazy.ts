import type { LayoutName } from "./layouts/index.ts";
import type { Catalog } from "./migration.ts";
import { readCatalog } from "./read.ts";

/**
 * The migrations folder, read (and its problems thrown, as `readCatalog` does) the first time
 * something asks for its migrations or layout: a rollback runs the scripts stored in the ledger, so
 * it reads the folder only when a rule needs the files (an override's record pins their checksums).
 */
export function lazyCatalog(dir: string, layoutName: LayoutName | "auto" = "auto"): Catalog {
  let read: Catalog | undefined;
  const whole = () => (read ??= readCatalog(dir, layoutName));
  return {
    dir,
    get layout() {
      return whole().layout;
    },
    get migrations() {
      return whole().migrations;
    },
    get byVersion() {
      return whole().byVersion;
    },
  };
}
