export { readCatalog, CatalogError } from "./read.ts";
export { checksumOf, normaliseLineEndings } from "./checksum.ts";
export { parseVersion, Version, VERSION_PATTERN, versionFromLayout } from "./version.ts";
export type { Catalog, Migration, RollbackFile } from "./migration.ts";
