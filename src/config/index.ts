export { loadConfig, selectEnvironment, DEFAULT_DATABASE_URL, type LoadConfigOptions } from "./load.ts";
export {
  EnvironmentSchema,
  AutoRollbackSchema,
  DrillSchema,
  CHECK_NAME,
  WEEKDAYS,
  type AutoRollback,
  type Config,
  type Drill,
  type Environment,
  type SlackSettings,
} from "./schema.ts";
export { duration, drillSchedule, formatDuration } from "./duration.ts";
