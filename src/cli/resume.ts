import { loadConfig } from "../config/index.ts";
import { createPool } from "../db/index.ts";
import { UsageError } from "../errors.ts";
import { createLogger } from "../log/logger.ts";
import { createJobQueue, resumeRequest } from "../queue/index.ts";
import { ensureControlSchema, findRequest, REQUEST_ID_TEXT } from "../requests/index.ts";
import { EXIT, printJson, type CliCommand } from "./command.ts";
import { runCommand } from "./format.ts";

const HELP = `Usage: rookery resume REQUEST

Runs a failed request across targets again after a fix (docs/targets.md): the databases that failed
or never started are migrated, in the same waves; those already applied are not run again. The
request keeps its approval and its pinned checksums: a file edited since needs a new request.
The workers (\`rookery worker\`) do the work; this command puts the request back on the queue
(CONTROL_DATABASE_URL, REDIS_URL, QUEUE_PREFIX). REQUEST is the request's id, or its first eight characters
as its message shows them (\`6f1c2a9b\`).

Options:
  --config FILE   config file (default: ROOKERY_CONFIG or ./rookery.config.yml when present)
  --json          {ok, request: {id, status}}
Exit 1 when the control database or Redis cannot be reached, 2 when the request is unknown, did not
run across targets, or is not failed.`;

export const resumeCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, {}, async ({ values, positionals }) => {
      const id = positionals[0];
      if (!id || !REQUEST_ID_TEXT.test(id) || positionals.length > 1) {
        throw new UsageError("give the request's id, one", { hint: "rookery resume 6f1c2a9b: the id is in the request's message (its first eight characters are enough)." });
      }
      const config = loadConfig({ env: io.env, cwd: io.cwd, configFile: values.config, migrationsDir: values.dir });
      const controlPool = createPool(config.controlDatabaseUrl, { max: 2, applicationName: "rookery-resume" });
      const queue = createJobQueue(config.redisUrl, config.queuePrefix);
      try {
        await ensureControlSchema(controlPool);
        const found = await findRequest(controlPool, id);
        if (!found) throw new UsageError(`there is no request ${id}`, { hint: "The request id is in the request's message." });
        const request = await resumeRequest({ controlPool, queue, logger: createLogger({ level: "silent" }) }, found.id);
        if (values.json) printJson(io, { ok: true, request: { id: request.id, status: request.status } });
        else io.stdout(`request ${request.id} resumed (${request.status}): the workers carry on where it stopped\n`);
        return EXIT.ok;
      } finally {
        await queue.close().catch(() => {});
        await controlPool.end().catch(() => {});
      }
    }),
};
