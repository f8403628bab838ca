import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Every file drops the databases and queue keys it created (test/support/services.ts).
    setupFiles: ["test/support/per-file.ts"],
    // Files run in parallel, each against its own database and queue prefix.
    pool: "forks",
    // A worker process runs file after file with the modules it has loaded: importing the sources again for
    // every file was most of the suite's CPU (import 361 s of 378 s on a 2-core machine). Each file still has its
    // own databases, queue prefix and cleanup (test/support/per-file.ts); module caches are keyed so that no
    // file's entries can answer another's.
    isolate: false,
    // Most of a test waits on Postgres or Redis, so more files than cores run at once.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
