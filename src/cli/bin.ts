import { runProcess } from "./run-process.ts";

// `npm run dev --` runs this file through tsx; users run the compiled bundle of run-process.ts (bin/rookery.mjs).
await runProcess(process.argv.slice(2));
