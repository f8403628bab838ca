// `npm run build` (and `npm ci`, through `prepare`): src/ bundled by esbuild into two CommonJS scripts.
// dist/rookery.cjs is the front: the registry of src/cli/main.ts, help, the process. dist/commands.cjs holds
// every command's file (the registry's dynamic imports) and all they use; the front asks bin/rookery.mjs for
// it only when a command runs or its help is asked for, so `rookery --help` parses 1/40 of the code.
// Scripts, not ES modules, because V8 keeps a code cache only for a script (vm.Script) on Node 20:
// bin/rookery.mjs runs each with the cache of the command being run, so a command's functions are compiled
// once, not at every start (compiling cold JavaScript was most of every command's start-up). Inside
// commands.cjs each command's file is still evaluated only when that command runs: esbuild turns its
// require() into a call that initialises the module then. Types are checked by `tsc --noEmit` (`npm test`),
// not here. Plain JavaScript, so it runs without tsx.
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { build } from "esbuild";

const ROOT = path.resolve(import.meta.dirname, "..");
/** The scripts the build writes (bin/rookery.mjs runs them; test/support/build.ts checks the commands' age). */
const FRONT = "dist/rookery.cjs";
const COMMANDS = "dist/commands.cjs";
/** The registry's lazy import of a command file: `import("./apply.ts")` in src/cli/main.ts. */
const COMMAND_IMPORT = /import\("\.\/([a-z-]+)\.ts"\)/g;

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

/**
 * In the front, each command file the registry imports becomes a stand-in whose exports are the real
 * module's, taken from dist/commands.cjs through `__rookeryCommand`, a parameter bin/rookery.mjs gives
 * the front's script.
 */
const commandsFromTheirScript = {
  name: "commands-from-their-script",
  setup(esbuild) {
    esbuild.onResolve({ filter: /^\.\/[a-z-]+\.ts$/ }, (args) => {
      if (args.kind !== "dynamic-import" || path.resolve(args.importer) !== path.join(ROOT, "src/cli/main.ts")) return undefined;
      return { path: path.basename(args.path, ".ts"), namespace: "rookery-command" };
    });
    esbuild.onLoad({ filter: /.*/, namespace: "rookery-command" }, (args) => ({
      contents: `module.exports = __rookeryCommand(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
  },
};

/** dist/commands.cjs's entry: for each command file of the registry, a function that initialises and returns it. */
async function commandsEntry() {
  const registry = await readFile(path.join(ROOT, "src/cli/main.ts"), "utf8");
  const names = [...registry.matchAll(COMMAND_IMPORT)].map((match) => match[1]);
  if (names.length === 0) throw new Error("build: src/cli/main.ts imports no command file (the registry changed shape?)");
  return names.map((name) => `exports[${JSON.stringify(name)}] = () => require("./src/cli/${name}.ts");`).join("\n");
}

/** What both scripts share: CommonJS for Node 20, the externals left in node_modules, pg's question skipped. */
const COMMON = {
  absWorkingDir: ROOT,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  external: EXTERNAL,
  minifyWhitespace: true,
  minifySyntax: true,
  // The sources are ES modules: their import.meta.url (createRequire of the external packages) is the script's.
  define: { "import.meta.url": "__rookeryScriptUrl" },
  banner: { js: 'const __rookeryScriptUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: "warning",
};

export async function buildDist() {
  await rm(path.join(ROOT, "dist"), { recursive: true, force: true });
  await Promise.all([
    build({ ...COMMON, entryPoints: ["src/cli/run-process.ts"], outfile: FRONT, plugins: [commandsFromTheirScript] }),
    build({
      ...COMMON,
      stdin: { contents: await commandsEntry(), resolveDir: ROOT, sourcefile: "commands-entry.js", loader: "js" },
      outfile: COMMANDS,
      sourcemap: true,
      plugins: [notCloudflare],
    }),
  ]);
}

if (path.resolve(process.argv[1] ?? "") === path.resolve(import.meta.filename)) await buildDist();
