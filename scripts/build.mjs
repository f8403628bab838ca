// `npm run build` (and `npm ci`, through `prepare`): src/ bundled into dist/ by esbuild. dist/cli/bin.js is
// the entry; each command's file (the dynamic imports of src/cli/main.ts) and the code commands share are
// chunks under dist/chunks/, loaded when a command needs them. A few files per command instead of one per
// source file and per zod or pg module: resolving and compiling modules was most of every command's start-up.
// Types are checked by `tsc --noEmit` (`npm test`), not here. Plain JavaScript, so it runs without tsx.
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { build } from "esbuild";

const ROOT = path.resolve(import.meta.dirname, "..");

/**
 * Loaded from node_modules at run time, never bundled: each finds files beside its own code (libpg-query
 * its WebAssembly, @resvg its native binary, bullmq its Lua scripts, pino the worker of its transports,
 * ioredis through bullmq), or is large and loaded only by the commands that use it (Slack, charts,
 * metrics). pg-native is pg's optional native driver, which Rookery does not use.
 */
export const EXTERNAL = [
  "libpg-query",
  "@resvg/resvg-js",
  "bullmq",
  "ioredis",
  "pino",
  "@slack/bolt",
  "vega",
  "vega-lite",
  "prom-client",
  "ws",
  "cron-parser",
  "yaml",
  "pg-native",
];

/**
 * pg asks at load whether it runs in a Cloudflare Worker by constructing a `Response`, which makes Node
 * load its whole fetch implementation (undici): 15-25 ms of every command's start-up, for an answer that
 * is always no under Node. The bundled copy skips the question.
 */
const notCloudflare = {
  name: "pg-not-cloudflare",
  setup(esbuild) {
    esbuild.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const question = "typeof Response === 'function'";
      if (!source.includes(question)) {
        console.warn(`build: ${args.path} no longer asks \`${question}\`; pg is bundled as it is (check its start-up cost)`);
        return undefined;
      }
      return { contents: source.replace(question, "false"), loader: "js" };
    });
  },
};

export async function buildDist() {
  await rm(path.join(ROOT, "dist"), { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: { "cli/bin": "src/cli/bin.ts" },
    outdir: "dist",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: EXTERNAL,
    chunkNames: "chunks/[name]-[hash]",
    sourcemap: true,
    minifyWhitespace: true,
    minifySyntax: true,
    plugins: [notCloudflare],
    // The CommonJS modules bundled (pg and its helpers) call require() for Node's own modules.
    banner: { js: 'import { createRequire as __rookeryRequire } from "node:module"; const require = __rookeryRequire(import.meta.url);' },
    logLevel: "warning",
  });
}

if (path.resolve(process.argv[1] ?? "") === path.resolve(import.meta.filename)) await buildDist();
