import { loadConfig } from "../config/index.ts";
import { createLogger, redactUrl } from "../log/logger.ts";
import { EXIT, guard, parseCommandArgs, type CliCommand, type CliIO } from "./command.ts";
import { UsageError } from "../errors.ts";
import { stopWithin, untilStopSignal } from "./signals.ts";
import { describeError } from "../errors.ts";

const HELP = `Usage: rookery worker [options]

Runs a queue worker until SIGTERM or SIGINT: takes apply, rollback, verify, health-poll, watch (the
watch after an apply, docs/auto-rollback.md) and drill jobs from
Redis (REDIS_URL, QUEUE_PREFIX), dispatches approved requests from the outbox and re-enqueues approved
requests whose job is missing. Run as many as you like against one Redis; jobs on one database still
run one at a time. With SLACK_BOT_TOKEN set it updates the request messages in Slack and posts health
alerts itself (SLACK_API_URL applies); without it, progress and alerts go to its log. On SIGTERM it stops taking jobs, lets the current ones finish, and exits 0;
after SHUTDOWN_GRACE (default 30s) it exits 0 anyway, whatever Redis does, leaving jobs still running to another
worker's stalled-job recovery.

Options:
  --concurrency N          jobs at once in this process (default 4)
  --scheduler              also keep the health-poll and drill schedulers (\`npm start\` does this)
  --port N                 serve GET /healthz and GET /metrics on this port
  --lock-duration MS       how long a job's lock lasts without renewal (default 30000)
  --stalled-interval MS    how often stalled jobs (of a killed worker) are handed on (default 30000)
  --config FILE            config file (default: ROOKERY_CONFIG or ./rookery.config.yml when present)
  --dir DIR                migrations folder (default: MIGRATIONS_DIR or ./migrations)
Exit codes: 0 stopped by a signal, 1 failed to start, 2 usage error.`;

const OPTIONS = {
  concurrency: { type: "string" },
  scheduler: { type: "boolean", default: false },
  port: { type: "string" },
  "lock-duration": { type: "string" },
  "stalled-interval": { type: "string" },
  config: { type: "string" },
  dir: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

function positiveInteger(name: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new UsageError(`--${name} must be a whole number from 1 to ${max}, not "${text}"`);
  }
  return value;
}

async function runWorker(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(args, OPTIONS);
  const concurrency = positiveInteger("concurrency", values.concurrency, 100);
  const port = positiveInteger("port", values.port, 65535);
  const lockDuration = positiveInteger("lock-duration", values["lock-duration"], 3_600_000);
  const stalledInterval = positiveInteger("stalled-interval", values["stalled-interval"], 3_600_000);
  const config = loadConfig({ env: io.env, cwd: io.cwd, migrationsDir: values.dir, configFile: values.config });
  const logger = createLogger({ level: config.logLevel, name: "rookery-worker" });
  // Loaded here, not at the top: every other command starts without BullMQ and Bolt.
  const [{ opsRoutes, serveOpsRoutes }, { startScheduler, startWorker }, { slackNotifierFromConfig }, { GET_A_REDIS_HINT, redisAnswers }] = await Promise.all([
    import("../ops/index.ts"),
    import("../queue/index.ts"),
    import("../slack/notifier.ts"),
    import("../queue/connection.ts"),
  ]);
  // A worker waits through a Redis outage (that is its job in production), but says so once, plainly.
  if (!(await redisAnswers(config.redisUrl))) {
    io.stderr(`rookery worker: Redis at ${redactUrl(config.redisUrl)} does not answer; the worker waits for it.\n${GET_A_REDIS_HINT}\n`);
  }

  // With a bot token, a worker on another machine updates the request messages and posts alerts itself.
  const slack = slackNotifierFromConfig(config, logger);
  const notifier = slack?.notifier;
  const worker = await startWorker(config, { logger, notifier, concurrency, workerOptions: { lockDuration, stalledInterval } });
  const signal = untilStopSignal();
  const scheduler = values.scheduler ? await startScheduler(config, { logger }) : undefined;
  const ops = port ? opsRoutes(config, undefined, () => scheduler) : undefined;
  const server = ops && port ? await serveOpsRoutes(ops.routes, port) : undefined;
  io.stdout(`rookery worker: ready (queue prefix ${config.queuePrefix}, concurrency ${concurrency ?? 4}${port ? `, port ${port}` : ""})\n`);

  const received = await signal;
  const graceMs = config.shutdownGraceMs ?? 30_000;
  io.stdout(`rookery worker: ${received} received, finishing the current jobs (at most ${graceMs / 1000} s)\n`);
  server?.close();
  const stopped = await stopWithin(
    graceMs,
    async () => {
      await Promise.all([worker.close(), scheduler?.close(), ops?.close()]);
      await slack?.close();
    },
    (error) => logger.warn({ err: describeError(error) }, "stopping failed"),
  );
  if (!stopped) {
    worker.abandon();
    scheduler?.abandon();
    logger.warn({ graceMs }, "not stopped within the shutdown grace; jobs still running are handed on by stalled-job recovery");
  }
  io.stdout(stopped ? "rookery worker: stopped\n" : "rookery worker: stopped after the shutdown grace, leaving running jobs to stalled-job recovery\n");
  return EXIT.ok;
}

export const workerCommand: CliCommand = {
  help: HELP,
  run: (args, io) => guard(io, false, () => runWorker(args, io)),
};
