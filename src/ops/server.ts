import { createServer, type Server } from "node:http";
import type { OpsRoute } from "./routes.ts";

/** A plain HTTP server for the routes, for a process without Bolt (`rookery worker --port`). */
export function serveOpsRoutes(routes: OpsRoute[], port: number, host = "0.0.0.0"): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const route = routes.find((candidate) => candidate.path === path && candidate.method === req.method);
    if (!route) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    Promise.resolve(route.handler(req, res)).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`${(error as Error).message}\n`);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
