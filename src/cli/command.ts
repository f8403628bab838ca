import { parseArgs, type ParseArgsConfig } from "node:util";
import { describeError, postgresDetail, RookeryError, UsageError } from "../errors.ts";

/** Exit codes of every command, as documented in `rookery help` and the README. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * One command of the `rookery` command line, in a file of its own under src/cli/, listed with its
 * name and one-line summary in the registry (src/cli/main.ts), which loads the file only when needed.
 * `run` does the work and returns the exit code; it never calls process.exit.
 */
export interface CliCommand {
  /** Full help: usage line, options, exit codes. */
  help: string;
  run(args: string[], io: CliIO): Promise<number>;
}

/** Options every command that touches a database understands. */
export const COMMON_OPTIONS = {
  env: { type: "string" },
  dir: { type: "string" },
  config: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsConfig["options"];

export const COMMON_HELP = `Common options:
  --env NAME      environment from the config (needed when more than one is configured)
  --dir DIR       migrations folder (default: MIGRATIONS_DIR or ./migrations)
  --config FILE   config file (default: ROOKERY_CONFIG or ./rookery.config.yml when present)
  --json          machine-readable output (see docs/commands.md, JSON output)
Exit codes: 0 ok, 1 failed, 2 usage error.`;

export function parseCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message, { hint: "See `rookery help` for the options." });
  }
}

export function printJson(io: CliIO, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** Runs a command body; a RookeryError becomes its message on stderr (or JSON) and its exit code. */
export async function guard(io: CliIO, json: boolean, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    const exitCode = error instanceof RookeryError ? error.exitCode : EXIT.failed;
    if (json) {
      const postgres = postgresDetail(error);
      printJson(io, { ok: false, error: { message: (error as Error).message, detail: postgres.detail ?? null, hint: (error as RookeryError).hint ?? postgres.hint ?? null } });
    } else {
      io.stderr(`rookery: ${describeError(error)}\n`);
    }
    if (!(error instanceof RookeryError) && process.env.ROOKERY_DEBUG) io.stderr(`${(error as Error).stack}\n`);
    return exitCode;
  }
}
