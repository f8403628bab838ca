import { performance } from "node:perf_hooks";
import pg from "pg";

/**
 * The application's stand-in: `clients` connections each running `query` in a loop, `pauseMs` apart,
 * until stopped; every query's latency is kept. `query(client, i, index)` runs the i-th probe of client `index`.
 */
export function startProbes(
  url: string,
  options: { clients: number; pauseMs: number; query: (client: pg.Client, i: number, index: number) => Promise<unknown> },
): { stop(): Promise<number[]> } {
  let running = true;
  const latencies: number[] = [];
  const loops = Array.from({ length: options.clients }, async (_, index) => {
    const client = new pg.Client({ connectionString: url, application_name: "probe" });
    await client.connect();
    for (let i = 0; running; i++) {
      const started = performance.now();
      await options.query(client, i, index);
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
    await client.end();
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return latencies;
    },
  };
}
