/** Expand-contract migrations: two phases from one plain SQL file (docs/expand-contract.md). */
export { executeExpandContract } from "./expand.ts";
export { completeExpansion, abortExpansion, type CompleteReport } from "./contract.ts";
export { operationsOf, refuseConflictingExpansions } from "./planner.ts";
export { versionSchemaName } from "./plan.ts";
export { ExpandRefusedError, ExpansionConflictError, ExpansionsInOneRunError, ExpansionStateError } from "./errors.ts";
export { openExpansions, describeExpansion, type ExpansionSummary } from "./summary.ts";
export { checkDeprecated, describeDeprecation, type DeprecationCheck } from "./deprecation.ts";
