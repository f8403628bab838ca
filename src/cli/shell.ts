import type { Readable } from "node:stream";
import { loadConfig } from "../config/index.ts";
import { UsageError } from "../errors.ts";
import { DEFAULT_SHELL_USER } from "../shell/defaults.ts";
import { EXIT, guard, parseCommandArgs, type CliCommand, type CliIO } from "./command.ts";

const HELP = `Usage: rookery shell [--as USER_ID] [--no-jobs] [--config FILE] [--dir DIR]

The Slack app without a Slack workspace. Type \`/migrate ...\` as a user (default ${DEFAULT_SHELL_USER};
\`/as UAPPROVER1\` switches), read the answers as text, click buttons with \`click <n>\`, \`quit\` to leave.
It drives the real app through its real request path: signed HTTP requests into the app on a loopback
port, and a local stand-in for Slack's Web API rendering whatever the app posts.
Needs Postgres; approved requests run here when Redis answers (worker and scheduler in this process).

Options:
  --as USER_ID    start as this Slack user id
  --no-jobs       do not run jobs here even when Redis answers
  --config FILE   config file (default: ROOKERY_CONFIG or ./rookery.config.yml when present)
  --dir DIR       migrations folder (default: MIGRATIONS_DIR or ./migrations)
Exit codes: 0 left with quit or end of input, 1 failed to start, 2 usage error.`;

const OPTIONS = {
  as: { type: "string" },
  "no-jobs": { type: "boolean", default: false },
  config: { type: "string" },
  dir: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export async function shellFromCli(args: string[], io: CliIO, input: Readable = process.stdin): Promise<number> {
  const { values } = parseCommandArgs(args, OPTIONS);
  if (values.as !== undefined && !/^[UW][A-Z0-9]{2,}$/.test(values.as)) {
    throw new UsageError(`--as "${values.as}" is not a Slack user id`, { hint: "User ids look like UAPPROVER1." });
  }
  const config = loadConfig({ env: io.env, cwd: io.cwd, migrationsDir: values.dir, configFile: values.config });
  // Loaded here, not at the top: every other command starts without Bolt.
  const { runShell } = await import("../shell/run.ts");
  await runShell(config, { input, write: io.stdout, userId: values.as, jobs: values["no-jobs"] ? false : "auto" });
  return EXIT.ok;
}

export const shellCommand: CliCommand = {
  help: HELP,
  run: (args, io) => guard(io, false, () => shellFromCli(args, io)),
};
