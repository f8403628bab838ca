import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { z } from "zod";
import { UsageError } from "../errors.ts";
import { ConfigFileSchema, ProcessEnvSchema, type Config, type Drill, type Environment } from "./schema.ts";

export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const DEFAULT_CONFIG_FILE = "rookery.config.yml";

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** `--dir` on the command line wins over MIGRATIONS_DIR. */
  migrationsDir?: string;
  /** `--config` on the command line wins over ROOKERY_CONFIG. */
  configFile?: string;
}

/** Every problem in one message, one line per key, so a user fixes them all at once. */
function listIssues(error: z.ZodError, prefix: string): string {
  return error.issues
    .map((issue) => `  ${[prefix, ...issue.path.map(String)].filter(Boolean).join(".") || "(root)"}: ${messageOf(issue)}`)
    .join("\n");
}

/**
 * Zod words a bad record key ("Invalid key in record") and a value no alternative accepts ("Invalid
 * input") without the rule that failed; the schema's own words are in the nested issues: the key's, and
 * for an alternative, the one the value had the right type for (`backupKeep: 3 days` is a string, so the
 * age rule's, not "expected number").
 */
function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_key") return issue.issues.map(messageOf).join("; ") || issue.message;
  if (issue.code === "invalid_union") {
    const meant = issue.errors.find((branch) => branch.length > 0 && branch.every((nested) => nested.code !== "invalid_type"));
    if (meant) return meant.map(messageOf).join("; ");
  }
  return issue.message;
}

/** `${VAR}` and `${VAR:-fallback}` expanded from the process environment; an unset variable is an error. */
function expandVariables(text: string, env: NodeJS.ProcessEnv, missing: string[]): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => {
    const value = env[name];
    if (value !== undefined && value !== "") return value;
    if (fallback !== undefined) return fallback;
    missing.push(name);
    return "";
  });
}

/**
 * YAML types `minSoakHours: 24` as a number but `minSoakHours: ${SOAK:-0}` as a string, and an
 * environment variable is always text. Where the schema wants a number or a boolean and the value came
 * from a `${...}`, its expanded text is read as one ("0" -> 0, "true" -> true) and the file parsed again.
 */
function coerceExpandedScalars<T>(schema: z.ZodType<T>, raw: unknown, expanded: unknown): z.ZodSafeParseResult<T> {
  let parsed = schema.safeParse(expanded);
  for (let round = 0; round < 50 && !parsed.success; round++) {
    const fixable = parsed.error.issues.find((issue) => {
      if (issue.code !== "invalid_type" || (issue.expected !== "number" && issue.expected !== "boolean")) return false;
      const source = valueAt(raw, issue.path);
      const value = valueAt(expanded, issue.path);
      return typeof source === "string" && source.includes("${") && typeof value === "string" && scalarOf(value, issue.expected) !== undefined;
    });
    if (!fixable) break;
    setValueAt(expanded, fixable.path, scalarOf(valueAt(expanded, fixable.path) as string, (fixable as { expected: string }).expected));
    parsed = schema.safeParse(expanded);
  }
  return parsed;
}

function scalarOf(text: string, expected: string): number | boolean | undefined {
  const trimmed = text.trim();
  if (expected === "number") return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : undefined;
  return trimmed === "true" ? true : trimmed === "false" ? false : undefined;
}

function valueAt(tree: unknown, at: readonly PropertyKey[]): unknown {
  return at.reduce<unknown>((node, key) => (node && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined), tree);
}

function setValueAt(tree: unknown, at: readonly PropertyKey[], value: unknown): void {
  const parent = valueAt(tree, at.slice(0, -1)) as Record<PropertyKey, unknown>;
  parent[at[at.length - 1]!] = value;
}

/** Loaded only when there is a config file to read: most CLI runs have none, and every start-up pays for a module. */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return yaml.parse(text);
}

function readConfigFile(file: string, env: NodeJS.ProcessEnv): { environments: Record<string, Environment>; drills: Drill[]; layout?: Config["layout"] } {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  const missing: string[] = [];
  const expanded = JSON.parse(JSON.stringify(raw ?? {}), (_key, value) =>
    typeof value === "string" ? expandVariables(value, env, missing) : value,
  );
  const parsed = coerceExpandedScalars(ConfigFileSchema, raw, expanded);
  const problems = [
    ...missing.map((name) => `  \${${name}}: environment variable is not set`),
    ...(parsed.success ? [] : [listIssues(parsed.error, "")]),
  ];
  if (problems.length > 0 || !parsed.success) {
    throw new UsageError(`invalid config file ${file}:\n${problems.join("\n")}`, {
      hint: "Fix the keys above; docs/configuration.md lists every key.",
    });
  }
  const { drills } = parsed.data;
  return {
    environments: Object.fromEntries(
      Object.entries(parsed.data.environments).map(([name, environment]) => [name, { ...environment, name }]),
    ),
    drills: drills ?? [],
    layout: parsed.data.layout,
  };
}

/** A target's `dir` is relative to the working folder, like MIGRATIONS_DIR and --dir. */
function withTargetDirsFrom(cwd: string, environments: Record<string, Environment>): Record<string, Environment> {
  for (const environment of Object.values(environments)) {
    for (const target of Object.values(environment.targets ?? {})) {
      if (target.dir !== undefined) target.dir = path.resolve(cwd, target.dir);
    }
  }
  return environments;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const parsedEnv = ProcessEnvSchema.safeParse(env);
  if (!parsedEnv.success) {
    throw new UsageError(`invalid environment variables:\n${listIssues(parsedEnv.error, "")}`);
  }
  const vars = parsedEnv.data;
  const explicitFile = options.configFile ?? vars.ROOKERY_CONFIG;
  const configFile = explicitFile ? path.resolve(cwd, explicitFile) : path.resolve(cwd, DEFAULT_CONFIG_FILE);
  if (explicitFile && !existsSync(configFile)) {
    throw new UsageError(`config file ${configFile} does not exist`, {
      hint: options.configFile
        ? "Point --config at an existing YAML file, or leave it out to use ROOKERY_CONFIG, ./rookery.config.yml or DATABASE_URL alone."
        : "Set ROOKERY_CONFIG to an existing YAML file, or unset it to use DATABASE_URL alone.",
    });
  }

  const databaseUrl = vars.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  let environments: Record<string, Environment>;
  let drills: Drill[] = [];
  let source: string;
  let layout: Config["layout"] | undefined;
  if (existsSync(configFile)) {
    ({ environments, drills, layout } = readConfigFile(configFile, env));
    source = configFile;
  } else {
    const development = ConfigFileSchema.parse({ environments: { development: { databaseUrl } } });
    environments = { development: { ...development.environments.development!, name: "development" } };
    source = vars.DATABASE_URL ? "DATABASE_URL" : "the default local database";
  }
  withTargetDirsFrom(cwd, environments);

  const firstUrl = Object.values(environments)[0]!.databaseUrl;
  return {
    environments,
    migrationsDir: path.resolve(cwd, options.migrationsDir ?? vars.MIGRATIONS_DIR ?? "migrations"),
    layout: vars.MIGRATIONS_LAYOUT ?? layout ?? "auto",
    controlDatabaseUrl: vars.CONTROL_DATABASE_URL ?? vars.DATABASE_URL ?? firstUrl,
    redisUrl: vars.REDIS_URL,
    queuePrefix: vars.QUEUE_PREFIX,
    port: vars.PORT,
    logLevel: vars.LOG_LEVEL,
    shutdownGraceMs: vars.SHUTDOWN_GRACE,
    slack: {
      botToken: vars.SLACK_BOT_TOKEN,
      appToken: vars.SLACK_APP_TOKEN,
      signingSecret: vars.SLACK_SIGNING_SECRET,
      apiUrl: vars.SLACK_API_URL,
      botUserId: vars.SLACK_BOT_USER_ID,
    },
    drills,
    source,
  };
}

/** The named environment, or the only one when there is exactly one; otherwise a usage error listing the names. */
export function selectEnvironment(config: Config, name?: string): Environment {
  const names = Object.keys(config.environments);
  if (name === undefined) {
    if (names.length === 1) return config.environments[names[0]!]!;
    throw new UsageError(`more than one environment is configured (${names.join(", ")})`, {
      hint: "Choose one with --env NAME.",
    });
  }
  const environment = config.environments[name];
  if (!environment) {
    throw new UsageError(`unknown environment "${name}"`, { hint: `Configured environments: ${names.join(", ")}.` });
  }
  return environment;
}
