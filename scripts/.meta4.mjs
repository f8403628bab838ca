import { build } from "esbuild";
import { EXTERNAL } from "./build.mjs";
const r = await build({ absWorkingDir: "/work/wt/h16s", entryPoints: { "cli/bin": "src/cli/bin.ts" }, outdir: "/tmp/h16s/metaout", bundle: true, splitting: true, format: "esm", platform: "node", target: "node20", external: EXTERNAL, chunkNames: "chunks/[name]-[hash]", metafile: true, write: false, logLevel: "error", minifySyntax: true });
const outs = r.metafile.outputs;
const start = Object.keys(outs).find((k) => k.includes(`/chunks/status-`) && k.endsWith(".js"));
const seen = new Set(); const stack = [start];
while (stack.length) { const k = stack.pop(); if (seen.has(k)) continue; seen.add(k); for (const i of outs[k].imports) if (i.kind === "import-statement" && !i.external) stack.push(i.path); }
const inGraph = new Set(); for (const k of seen) for (const [f, v] of Object.entries(outs[k].inputs)) if (v.bytesInOutput > 0) inGraph.add(f);
const importers = (target) => Object.entries(r.metafile.inputs).filter(([f, v]) => inGraph.has(f) && v.imports.some((i) => i.path === target)).map(([f]) => f);
for (const t of process.argv.slice(2)) console.log(t, "<-", importers(t).join(", "));
