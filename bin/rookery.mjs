#!/usr/bin/env node
// Runs the compiled bundle dist/rookery.cjs (`npm run build`, which `npm ci` runs through `prepare`) with
// V8's code cache: compiling its cold JavaScript was most of a short command's start-up, and Node 20 keeps
// no cache of its own (module.enableCompileCache is Node 22). One cache per command, written after the
// command's first run, so it holds the functions that command compiled as it ran: see docs/architecture.md.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const bundle = fileURLToPath(new URL("../dist/rookery.cjs", import.meta.url));
let built;
try {
  built = statSync(bundle);
} catch {
  process.stderr.write("rookery: the compiled code is missing (dist/rookery.cjs)\nRun `npm run build` in the Rookery folder (`npm ci` runs it too).\n");
  process.exit(1);
}

// The command's cache, where the first word can name one; written only under a name the bundle confirms.
const named = /^[a-z]{1,30}$/.test(process.argv[2] ?? "") ? process.argv[2] : "help";
const folder = cacheFolder();
const cachedData = folder && readOwnFile(path.join(folder, named));

// The bundle's import() of an ES-module-only package (vega, for charts) needs a module to resolve from:
// a script run by vm has none without an experimental flag, so this module lends its own.
globalThis.__rookeryImport = (specifier) => import(specifier);
const script = new vm.Script(Module.wrap(readFileSync(bundle, "utf8")), { filename: bundle, cachedData });
const compiled = { exports: {} };
script.runInThisContext().call(compiled.exports, compiled.exports, createRequire(bundle), compiled, bundle, path.dirname(bundle));
const ran = await compiled.exports.runProcess(process.argv.slice(2));
if (folder && ran === named && (!cachedData || script.cachedDataRejected)) writeCache(path.join(folder, ran), script.createCachedData());

/**
 * Where this build's caches live: ROOKERY_COMPILE_CACHE (a folder, or `off`), else the user's cache folder
 * ($XDG_CACHE_HOME or ~/.cache, then rookery/). One folder per build and Node version: V8 checks its own
 * version and flags, but only the length of the source, so a rebuilt bundle must never meet an old cache.
 */
function cacheFolder() {
  const chosen = process.env.ROOKERY_COMPILE_CACHE;
  if (chosen === "off") return undefined;
  const base = chosen || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "rookery");
  return path.join(base, `${built.size}-${Math.round(built.mtimeMs)}-${process.version}-${process.arch}`);
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
 * not used for 30 days.
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
