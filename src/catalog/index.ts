export { readCatalog, readCatalogInTurns, CatalogError, headerLines, isExpandContract } from "./read.ts";
export { lazyCatalog } from "./lazy.ts";
export { checksumOf, normaliseLineEndings } from "./checksum.ts";
export { parseVersion, Version, VERSION_PATTERN, versionFromLayout } from "./version.ts";
export { readChecks } from "./checks.ts";
export type { Catalog, Migration, MigrationCheck, RollbackFile } from "./migration.ts";
export { LAYOUT_NAMES, type LayoutName } from "./layouts/index.ts";
export { versionFromDotted, versionFromNumber } from "./version-mapping.ts";
export { NO_ROLLBACK_FILE, pinsOf, rollbackPinKey, rollbackPinOf } from "./pins.ts";
