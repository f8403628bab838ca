import { loadConfig, type Config } from "../config/index.ts";
import { withClient } from "../db/index.ts";
import { UsageError } from "../errors.ts";
import { activeFreeze, describeFreeze, freezeEnvironment, unfreezeEnvironment, type Freeze } from "../policy/freeze.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { cliActor, configFor, runCommand } from "./format.ts";

const HELP = `Usage: rookery freeze --env NAME --reason TEXT   freeze an environment
       rookery freeze --env NAME --lift            lift its freeze
       rookery freeze                              show which environments are frozen

While an environment is frozen every apply and rollback is refused, from the command line and from
Slack, naming who froze it and why; only a break-glass rollback (breakGlass: true) still runs.
Freezes live in the control database (CONTROL_DATABASE_URL), so every runner sees the same one.

Options:
  --reason TEXT   why (required to freeze): shown in every refusal
  --lift          unfreeze

${COMMON_HELP}
Exit 1 when freezing a frozen environment or lifting an unfrozen one.`;

function freezeJson(freeze: Freeze | undefined) {
  return freeze ? { frozen: true, reason: freeze.reason, frozenBy: freeze.frozenBy, frozenAt: freeze.frozenAt.toISOString() } : { frozen: false };
}

async function showFreezes(io: CliIO, config: Config, json: boolean): Promise<number> {
  const names = Object.keys(config.environments);
  const freezes = await withClient(config.controlDatabaseUrl, async (client) => {
    const found: [string, Freeze | undefined][] = [];
    for (const name of names) found.push([name, await activeFreeze(client, name)]);
    return found;
  });
  if (json) {
    printJson(io, { ok: true, environments: Object.fromEntries(freezes.map(([name, freeze]) => [name, freezeJson(freeze)])) });
  } else {
    for (const [name, freeze] of freezes) io.stdout(`${freeze ? describeFreeze(freeze) : `${name} is open`}\n`);
  }
  return EXIT.ok;
}

export const freezeCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, { reason: { type: "string" }, lift: { type: "boolean", default: false } }, async ({ values, positionals }) => {
      if (positionals.length > 0) {
        throw new UsageError(`freeze takes no positional arguments, got "${positionals.join(" ")}"`, {
          hint: 'rookery freeze --env production --reason "why"',
        });
      }
      if (values.lift && values.reason !== undefined) throw new UsageError("give either --reason or --lift, not both");
      if (!values.lift && values.reason === undefined && values.env === undefined) {
        return showFreezes(io, loadConfig({ env: io.env, cwd: io.cwd, migrationsDir: values.dir, configFile: values.config }), values.json);
      }
      if (!values.lift && values.reason === undefined) {
        throw new UsageError("freezing needs a reason", { hint: `rookery freeze --env ${values.env} --reason "why", or --lift to unfreeze.` });
      }
      const { config, environment } = configFor(values, io);
      const by = cliActor(io.env);
      const freeze = await withClient(config.controlDatabaseUrl, (client) =>
        values.lift
          ? unfreezeEnvironment(client, { environment: environment.name, by })
          : freezeEnvironment(client, { environment: environment.name, reason: values.reason!, by }),
      );
      if (values.json) {
        const state = values.lift ? { frozen: false, lifted: freezeJson(freeze) } : freezeJson(freeze);
        printJson(io, { ok: true, environment: environment.name, ...state });
      } else {
        io.stdout(values.lift ? `${environment.name} unfrozen (was: ${describeFreeze(freeze)})\n` : `${describeFreeze(freeze)}\n`);
      }
      return EXIT.ok;
    }),
};
