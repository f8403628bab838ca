// `npm run build` (and `npm ci`, through `prepare`): src/ bundled into one CommonJS script, dist/rookery.cjs,
// by esbuild. One script because V8 keeps a code cache only for a script (vm.Script), never for an ES module
// on Node 20: bin/rookery.mjs runs it with each command's cache, so a command's functions are compiled once,
// not at every start (compiling cold JavaScript was most of every command's start-up). Each command's file
// (the dynamic imports of src/cli/main.ts) is still evaluated only when that command runs: esbuild turns an
// import() inside the bundle into a call that initialises the module then. Types are checked by
// `tsc --noEmit` (`npm test`), not here. Plain JavaScript, so it runs without tsx.
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { build } from "esbuild";

const ROOT = path.resolve(import.meta.dirname, "..");
/** The one script the build writes (bin/rookery.mjs runs it; test/support/build.ts checks its age). */
export const BUNDLE = "dist/rookery.cjs";

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
    entryPoints: ["src/cli/run-process.ts"],
    outfile: BUNDLE,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    external: EXTERNAL,
    sourcemap: true,
    minifyWhitespace: true,
    minifySyntax: true,
    plugins: [notCloudflare],
    // The sources are ES modules: their import.meta.url (createRequire of the external packages) is the bundle's.
    define: { "import.meta.url": "__rookeryBundleUrl" },
    banner: { js: 'const __rookeryBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    logLevel: "warning",
  });
}

if (path.resolve(process.argv[1] ?? "") === path.resolve(import.meta.filename)) await buildDist();
