import { commandRun, main } from "./main.ts";

/**
 * The process around a command: its exit code, and a closed output pipe. The compiled bundle's entry
 * (bin/rookery.mjs runs it) and, through src/cli/bin.ts, `npm run dev --`. Returns the name of the command
 * that ran, undefined for help (or a word that is no command): bin/rookery.mjs keeps a command's code cache
 * only from a run of that command.
 */
export async function runProcess(argv: string[]): Promise<string | undefined> {
  for (const stream of [process.stdout, process.stderr]) {
    // `rookery status | head` closes the pipe early: that is the reader's choice, not a crash.
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  process.exitCode = await main(argv);
  // The command is done: a connection still retrying (Redis down after a worker's shutdown grace) must not
  // keep the process alive. Unref'd, so a process with nothing left exits at once, output flushed.
  setTimeout(() => process.exit(), 1000).unref();
  return commandRun(argv);
}
