export { loadConfig, selectEnvironment, DEFAULT_DATABASE_URL, type LoadConfigOptions } from "./load.ts";
export { EnvironmentSchema, WEEKDAYS, type Config, type Environment, type SlackSettings } from "./schema.ts";
export { duration, formatDuration } from "./duration.ts";
