import { main } from "./main.ts";

// The process entry: bin/rookery.mjs runs the compiled copy, `npm run dev --` this file through tsx.
for (const stream of [process.stdout, process.stderr]) {
  // `rookery status | head` closes the pipe early: that is the reader's choice, not a crash.
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}
process.exitCode = await main(process.argv.slice(2));
// The command is done: a connection still retrying (Redis down after a worker's shutdown grace) must not
// keep the process alive. Unref'd, so a process with nothing left exits at once, output flushed.
setTimeout(() => process.exit(), 1000).unref();
