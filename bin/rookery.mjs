#!/usr/bin/env node
// Runs the compiled scripts in dist/ (`npm run build`, which `npm ci` runs through `prepare`) with V8's code
// cache: compiling their cold JavaScript was most of a short command's start-up, and Node 20 keeps no cache
// of its own (module.enableCompileCache is Node 22). dist/rookery.cjs is the front (registry, help);
// dist/commands.cjs, every command, is run only when the front asks for a command. Each script has a cache
// per command, written after that command's first run, so it holds the functions the command compiled as
// it ran: see docs/architecture.md.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
let built;
try {
  built = [statSync(path.join(dist, "rookery.cjs")), statSync(path.join(dist, "commands.cjs"))];
} catch {
  process.stderr.write("rookery: the compiled code is missing (dist/rookery.cjs, dist/commands.cjs)\nRun `npm run build` in the Rookery folder (`npm ci` runs it too).\n");
  process.exit(1);
}

const folder = cacheFolder();
/** The scripts this process ran, each with the cache it was given. */
const ran = [];

// The scripts' import() of an ES-module-only package (vega, for charts) needs a module to resolve from: a
// script run by vm has none without an experimental flag, so this module lends its own.
globalThis.__rookeryImport = (specifier) => import(specifier);

let commands;
/** The front's way to a command's module: dist/commands.cjs, run once, with that command's cache. */
function commandModule(name) {
  commands ??= runScript("commands.cjs", name);
  return commands.exports[name]();
}

const front = runScript("rookery.cjs", "front");
const command = await front.exports.runProcess(process.argv.slice(2));
for (const { script, cacheName, cachedData } of ran) {
  // A command's cache is only written by a run of that command: `rookery help apply` compiles little of it.
  const complete = cacheName === "front" || cacheName === command;
  if (folder && complete && (!cachedData || script.cachedDataRejected)) writeCache(path.join(folder, cacheName), script.createCachedData());
}

function runScript(file, cacheName) {
  const filename = path.join(dist, file);
  const cachedData = folder && readOwnFile(path.join(folder, cacheName));
  // Strict, as the ES modules it was built from are (esbuild puts its own "use strict" after the banner).
  const source = `(function (exports, require, module, __filename, __dirname, __rookeryCommand) {"use strict";${readFileSync(filename, "utf8")}\n})`;
  const script = new vm.Script(source, { filename, cachedData });
  ran.push({ script, cacheName, cachedData });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(filename), module, filename, dist, commandModule);
  return module;
}

/**
 * Where this build's caches live: ROOKERY_COMPILE_CACHE (a folder, or `off`), else the user's cache folder
 * ($XDG_CACHE_HOME or ~/.cache, then rookery/). One folder per build and Node version: V8 checks its own
 * version and flags, but only the length of the source, so a rebuilt script must never meet an old cache.
 */
function cacheFolder() {
  const chosen = process.env.ROOKERY_COMPILE_CACHE;
  if (chosen === "off") return undefined;
  const base = chosen || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "rookery");
  const build = built.map((stats) => `${stats.size}-${Math.round(stats.mtimeMs)}`).join("-");
  return path.join(base, `${build}-${process.version}-${process.arch}`);
}

/** A cache file this user wrote (V8 runs what a cache holds: one planted by another user would run as this one). */
function readOwnFile(file) {
  try {
    if (process.getuid && statSync(file).uid !== process.getuid()) return undefined;
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Written whole or not at all (a temporary file renamed), never failing the command: a read-only home or a
 * full disk costs only the next start's speed. A new build's first cache removes the folders of builds
 * not written to for 30 days.
 */
function writeCache(file, data) {
  try {
    const fresh = mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 }) !== undefined;
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, data, { mode: 0o600 });
    renameSync(partial, file);
    if (fresh) removeStaleBuilds(path.dirname(path.dirname(file)), path.basename(path.dirname(file)));
  } catch {
    // the cache is only ever a speed-up
  }
}

function removeStaleBuilds(base, current) {
  const monthAgo = Date.now() - 30 * 24 * 3600 * 1000;
  for (const name of readdirSync(base)) {
    const folder = path.join(base, name);
    if (name !== current && statSync(folder).mtimeMs < monthAgo) rmSync(folder, { recursive: true, force: true });
  }
}
