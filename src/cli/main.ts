import type { CliCommand, CliIO } from "./command.ts";
import { EXIT } from "./command.ts";

/** A command as `rookery help` lists it; its file is loaded only when it runs or its help is asked for. */
interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<CliCommand>;
}

/**
 * The command registry: one entry per command file (src/cli/<name>.ts, exporting <name>Command).
 * Nothing is imported up front: `rookery --help` loads no command, `rookery status` no Slack, no
 * BullMQ, no parser it does not need. Keep it in the order `rookery help` shows.
 */
const commands: CommandEntry[] = [
  { name: "apply", summary: "apply migrations (named versions, or --all pending)", load: async () => (await import("./apply.ts")).applyCommand },
  { name: "resume", summary: "run a failed request across targets again after a fix, skipping applied databases", load: async () => (await import("./resume.ts")).resumeCommand },
  { name: "rollback", summary: "roll back one migration, or --to VERSION / --last N, with the stored scripts (--reason required)", load: async () => (await import("./rollback.ts")).rollbackCommand },
  { name: "complete", summary: "complete an expanded expand-contract migration: the old shape goes", load: async () => (await import("./complete.ts")).completeCommand },
  { name: "schema", summary: "the schema an expand-contract version's release puts on its search_path", load: async () => (await import("./schema.ts")).schemaCommand },
  { name: "baseline", summary: "record every version up to VERSION as applied without running it (an existing database)", load: async () => (await import("./baseline.ts")).baselineCommand },
  { name: "import", summary: "record what golang-migrate, Flyway, dbmate, goose or node-pg-migrate applied here", load: async () => (await import("./import.ts")).importCommand },
  { name: "status", summary: "current version, applied / pending / failed / rolled back migrations, drift", load: async () => (await import("./status.ts")).statusCommand },
  { name: "plan", summary: "what apply --all would do, in order, with rollback availability", load: async () => (await import("./plan.ts")).planCommand },
  { name: "lint", summary: "classify migrations and lint them for changes that lock or break a live database", load: async () => (await import("./lint.ts")).lintCommand },
  { name: "history", summary: "what was applied, failed, rolled back: by whom, when, why", load: async () => (await import("./history.ts")).historyCommand },
  { name: "verify", summary: "integrity checks, checksum drift, INVALID indexes (exit 1 on any FAIL)", load: async () => (await import("./verify.ts")).verifyCommand },
  { name: "health", summary: "the migration_health view and its alerts", load: async () => (await import("./health.ts")).healthCommand },
  { name: "freeze", summary: "freeze an environment (--reason) or lift its freeze (--lift)", load: async () => (await import("./freeze.ts")).freezeCommand },
  { name: "rehearse", summary: "apply a migration under a probe workload, measure the impact, roll it back", load: async () => (await import("./rehearse.ts")).rehearseCommand },
  { name: "worker", summary: "run a queue worker (apply / rollback / verify / health-poll / watch / drill jobs) until SIGTERM", load: async () => (await import("./worker.ts")).workerCommand },
  { name: "start", summary: "run the Slack bot, worker and scheduler (or the local shell without Slack tokens)", load: async () => (await import("./start.ts")).startCommand },
  { name: "shell", summary: "try the Slack app locally: /migrate as any user, click buttons, no workspace needed", load: async () => (await import("./shell.ts")).shellCommand },
  { name: "backup", summary: "list the environment's backups, or restore one into another database", load: async () => (await import("./backup.ts")).backupCommand },
  { name: "prove", summary: "prove on a scratch copy that a migration's rollback restores the schema", load: async () => (await import("./prove.ts")).proveCommand },
  { name: "drill", summary: "prove every applied rollback again on a scratch copy, newest first (the scheduled drill, now)", load: async () => (await import("./drill.ts")).drillCommand },
  { name: "stats", summary: "the migration dashboard: applied, failed, rolled back per hour, with a sparkline", load: async () => (await import("./stats.ts")).statsCommand },
];

export function registeredCommands(): readonly CommandEntry[] {
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

const HELP_WORDS = ["help", "--help", "-h"];

/** `rookery <command> --help`: the command's help, not a run. */
function asksHelp(rest: string[]): boolean {
  return rest.includes("--help") || rest.includes("-h");
}

/** The registered command `argv` runs, not only asks help of; undefined for help and for a word that is no command. */
export function commandRun(argv: string[]): string | undefined {
  const [name, ...rest] = argv;
  return asksHelp(rest) ? undefined : commands.find((command) => command.name === name)?.name;
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || HELP_WORDS.includes(name)) {
    const topic = rest[0] ? commands.find((command) => command.name === rest[0]) : undefined;
    io.stdout(`${topic ? (await topic.load()).help : helpText()}\n`);
    return EXIT.ok;
  }
  const entry = commands.find((candidate) => candidate.name === name);
  if (!entry) {
    io.stderr(`rookery: unknown command "${name}"\n\n${helpText()}\n`);
    return EXIT.usage;
  }
  const command = await entry.load();
  if (asksHelp(rest)) {
    io.stdout(`${command.help}\n`);
    return EXIT.ok;
  }
  return command.run(rest, io);
}
