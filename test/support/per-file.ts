import { afterAll } from "vitest";
import { removeScratchFolders } from "./cli.ts";
import { dropCreatedResources } from "./services.ts";

// Registered before each test file's own hooks (a setup file runs first, for every file, modules shared or
// not): hooks run in reverse order, so this runs last. A fleet file drops 20+ databases, each DROP forcing a
// checkpoint: at load 12 that took over the default 60 s.
afterAll(async () => {
  removeScratchFolders();
  await dropCreatedResources();
}, 300_000);
