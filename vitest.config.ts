import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Every file drops the databases and queue keys it created (test/support/services.ts).
    setupFiles: ["test/support/per-file.ts"],
    // Files run in parallel, each against its own database and queue prefix.
    pool: "forks",
    // Most of a test waits on Postgres or Redis, so more files than cores run at once.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
