/**
 * Many databases per environment (docs/targets.md): targets in targetOrder, fleets in waves. Built on the
 * engine's one-database operations; knows nothing of Slack or queues.
 */
export { resolveTargets, catalogOf, catalogInTurnsOf, databaseEnvironment, hasTargets, targetNames, type Target, type DatabaseTarget, type FleetTarget } from "./resolve.ts";
export { fleetDatabases, FleetRegistryError } from "./registry.ts";
export { planWaves, crossesFailureLimit } from "./waves.ts";
export { appliedByRequest } from "./applied-by-request.ts";
export { applyDatabase, applyFleet, notStarted, type BeforeWave, type DatabaseOutcome, type DatabaseStatus, type FleetReport } from "./apply-fleet.ts";
export { applyTargets, prepareTargets, environmentOf, type PreparedTarget, type TargetRun, type TargetsReport } from "./apply-targets.ts";
export { targetOfVersions, type TargetVersions } from "./find-versions.ts";
export { rollbackDatabase } from "./rollback-database.ts";
export { rollbackOfRun, type DatabaseRollback, type RanOnDatabase, type RunRollback } from "./rollback-of-run.ts";
export { eachDatabase } from "./each-database.ts";
export { summarizeFleetStatus, type FleetStatusSummary, type FleetDatabaseStatus } from "./fleet-status.ts";
export { planRunRows, haltReason, runSummary, SUMMARY_FAILURES, type RunRow, type RunTally, type FleetsByTarget } from "./run-state.ts";
export { readTargets, type DatabaseResult, type TargetResult } from "./read-targets.ts";
export { alertsOf, byAlertLevel, groupedAlerts, type FleetAlertGroup } from "./fleet-health.ts";
export { watchSites, watchWidth, appliedOn } from "./watch-sites.ts";
export { targetDatabases } from "./target-databases.ts";
