import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Files run in parallel, each against its own database and queue prefix.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
