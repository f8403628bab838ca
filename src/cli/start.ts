import { loadConfig } from "../config/index.ts";
import { createLogger, redactUrl } from "../log/logger.ts";
import { EXIT, guard, parseCommandArgs, type CliCommand, type CliIO } from "./command.ts";
import { shellFromCli } from "./shell.ts";
import { stopWithin, untilStopSignal } from "./signals.ts";
import { describeError } from "../errors.ts";

const HELP = `Usage: rookery start [--config FILE] [--dir DIR]     (also: npm start)

With SLACK_BOT_TOKEN set: the Slack bot, the worker and the health-poll scheduler in one process.
  Socket Mode when SLACK_APP_TOKEN is set; otherwise HTTP mode on PORT (default 3000) with Slack's
  requests at POST /slack/events (SLACK_SIGNING_SECRET checks them). GET /healthz and GET /metrics
  are served on PORT in both modes.
Without Slack tokens: the local shell (\`rookery shell\`), to try everything without a workspace.
SIGTERM or SIGINT: stop taking commands and jobs, let the current job finish, close connections, exit 0
(after SHUTDOWN_GRACE, default 30s, it exits 0 anyway, leaving running jobs to stalled-job recovery).

Options:
  --config FILE   config file (default: ROOKERY_CONFIG or ./rookery.config.yml when present)
  --dir DIR       migrations folder (default: MIGRATIONS_DIR or ./migrations)
Exit codes: 0 stopped by a signal, 1 failed to start, 2 usage error.`;

const OPTIONS = {
  config: { type: "string" },
  dir: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

async function start(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(args, OPTIONS);
  const config = loadConfig({ env: io.env, cwd: io.cwd, migrationsDir: values.dir, configFile: values.config });
  if (!config.slack.botToken) {
    io.stdout("rookery start: no SLACK_BOT_TOKEN, starting the local shell instead.\n");
    return shellFromCli(args, io);
  }
  const logger = createLogger({ level: config.logLevel });
  const { GET_A_REDIS_HINT, redisAnswers } = await import("../queue/connection.ts");
  // The worker in this process waits through a Redis outage, but says so once, plainly.
  if (!(await redisAnswers(config.redisUrl))) {
    io.stderr(`rookery start: Redis at ${redactUrl(config.redisUrl)} does not answer; approved requests wait for it.\n${GET_A_REDIS_HINT}\n`);
  }
  const signal = untilStopSignal();
  // Loaded here, not at the top: every other command starts without Bolt and BullMQ.
  const { startRookery } = await import("../main.ts");
  const rookery = await startRookery(config, { logger });
  io.stdout(`rookery: ready (${rookery.mode === "socket" ? "Socket Mode" : "HTTP mode"}${rookery.port !== undefined ? `, port ${rookery.port}` : ""})\n`);
  const received = await signal;
  io.stdout(`rookery: ${received} received, finishing the current job\n`);
  const graceMs = config.shutdownGraceMs ?? 30_000;
  const stopped = await stopWithin(graceMs, () => rookery.stop(), (error) => logger.warn({ err: describeError(error) }, "stopping failed"));
  if (!stopped) rookery.abandon();
  io.stdout(stopped ? "rookery: stopped\n" : "rookery: stopped after the shutdown grace, leaving running jobs to stalled-job recovery\n");
  return EXIT.ok;
}

export const startCommand: CliCommand = {
  help: HELP,
  run: (args, io) => guard(io, false, () => start(args, io)),
};
