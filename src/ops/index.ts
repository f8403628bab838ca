export { opsRoutes, type OpsRoute, type OpsRoutes } from "./routes.ts";
export { serveOpsRoutes } from "./server.ts";
export { checkDependencies, type DependencyCheck, type SchedulerProbe } from "./health-check.ts";
