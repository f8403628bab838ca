import type { CliCommand, CliIO } from "./command.ts";
import { EXIT } from "./command.ts";
import { applyCommand } from "./apply.ts";
import { rollbackCommand } from "./rollback.ts";
import { statusCommand } from "./status.ts";
import { planCommand } from "./plan.ts";
import { lintCommand } from "./lint.ts";
import { historyCommand } from "./history.ts";
import { verifyCommand } from "./verify.ts";
import { healthCommand } from "./health.ts";
import { backupCommand } from "./backup.ts";
import { proveCommand } from "./prove.ts";
import { statsCommand } from "./stats.ts";
import { freezeCommand } from "./freeze.ts";
import { rehearseCommand } from "./rehearse.ts";
import { workerCommand } from "./worker.ts";
import { startCommand } from "./start.ts";
import { shellCommand } from "./shell.ts";

/**
 * The command registry: one import and one entry per command file.
 * Keep it in the order `rookery help` shows.
 */
const commands: CliCommand[] = [
  applyCommand,
  rollbackCommand,
  statusCommand,
  planCommand,
  lintCommand,
  historyCommand,
  verifyCommand,
  healthCommand,
  freezeCommand,
  rehearseCommand,
  workerCommand,
  startCommand,
  shellCommand,
  backupCommand,
  proveCommand,
  statsCommand,
];

export function registeredCommands(): readonly CliCommand[] {
  return commands;
}

function helpText(): string {
  const width = Math.max(...commands.map((command) => command.name.length), 4);
  return [
    "rookery: safe Postgres schema migrations for a whole team",
    "",
    "Usage: rookery <command> [options]",
    "",
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    `  ${"help".padEnd(width)}  this text; \`rookery help <command>\` for one command`,
    "",
    "Exit codes: 0 ok, 1 failed, 2 usage error.",
  ].join("\n");
}

export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = rest[0] && commands.find((command) => command.name === rest[0]);
    io.stdout(`${topic ? topic.help : helpText()}\n`);
    return EXIT.ok;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    io.stderr(`rookery: unknown command "${name}"\n\n${helpText()}\n`);
    return EXIT.usage;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout(`${command.help}\n`);
    return EXIT.ok;
  }
  return command.run(rest, io);
}
