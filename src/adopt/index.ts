/** Bringing an existing database and another tool's history under Rookery: baseline, import. */
export { baselineMigrations, type BaselineReport } from "./baseline.ts";
export { importHistory, IMPORT_SOURCES, type ImportReport } from "./import.ts";
