/**
 * `npm run bench [-- NAME...]`: every benchmark of bench/, or only the named ones.
 * Each module prints its own lines; add a new one as one import and one entry below.
 */
import * as engineApply from "./engine-apply.ts";
import * as stall from "./stall.ts";
import * as slackAck from "./slack-ack.ts";
import * as cli from "./cli.ts";
import * as largeFile from "./large-file.ts";
import * as expand from "./expand.ts";
import * as fleet from "./fleet.ts";

interface Bench {
  name: string;
  run(): Promise<void>;
}

const benches: Bench[] = [
  { name: "engine-apply", run: engineApply.run },
  { name: "stall", run: stall.run },
  { name: "slack-ack", run: slackAck.run },
  { name: "cli", run: cli.run },
  { name: "large-file", run: largeFile.run },
  { name: "expand", run: expand.run },
  { name: "fleet", run: fleet.run },
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !benches.some((bench) => bench.name === name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${benches.map((bench) => bench.name).join(", ")}`);
  process.exit(2);
}
for (const bench of benches) {
  if (wanted.length > 0 && !wanted.includes(bench.name)) continue;
  console.log(`== ${bench.name}`);
  await bench.run();
}
