#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (`npm run build`, which `npm ci` runs through `prepare`):
// tsx compiling the TypeScript at every start cost more than most commands themselves.
import { existsSync } from "node:fs";

const entry = new URL("../dist/cli/bin.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("rookery: the compiled code is missing (dist/cli/bin.js)\nRun `npm run build` in the Rookery folder (`npm ci` runs it too).\n");
  process.exit(1);
}
await import(entry.href);
