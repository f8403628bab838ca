import { build } from "esbuild";
import { EXTERNAL } from "./build.mjs";
const se = process.argv[3] === "se";
const plugin = { name: "se", setup(b) { if (se) b.onResolve({ filter: /^\.\.?\// }, async (args) => { if (args.pluginData?.skip) return; const r = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: { skip: true } }); if (r.path.includes("/src/")) r.sideEffects = false; return r; }); } };
const r = await build({ absWorkingDir: "/work/wt/h16s", entryPoints: { "cli/bin": "src/cli/bin.ts" }, outdir: "/tmp/h16s/metaout", bundle: true, splitting: true, format: "esm", platform: "node", target: "node20", external: EXTERNAL, chunkNames: "chunks/[name]-[hash]", metafile: true, write: false, logLevel: "error", plugins: [plugin], minifyWhitespace: true, minifySyntax: true });
const outs = r.metafile.outputs;
for (const cmd of ["status", "apply", "rollback", "plan"]) {
const start = Object.keys(outs).find((k) => k.includes(`/chunks/${cmd}-`) && k.endsWith(".js"));
const seen = new Set(); const stack = [start];
while (stack.length) { const k = stack.pop(); if (seen.has(k)) continue; seen.add(k); for (const i of outs[k].imports) if (i.kind === "import-statement" && !i.external) stack.push(i.path); }
let src = 0, all = 0; for (const k of seen) { all += outs[k].bytes; for (const [f, v] of Object.entries(outs[k].inputs)) if (f.startsWith("src")) src += v.bytesInOutput; }
console.log(cmd, se ? "sideEffects:false" : "default", "chunks", seen.size, "bytes", all, "src bytes", src);
}
