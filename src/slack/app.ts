import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { App, HTTPReceiver, webApi, type CustomRoute } from "@slack/bolt";
import { RookeryError } from "../errors.ts";
import { registerActions } from "./actions/index.ts";
import { boltLogger } from "./bolt-logger.ts";
import { registerCommands } from "./commands/index.ts";
import { registerEvents } from "./events/index.ts";
import { registerModals } from "./modals/index.ts";
import type { SlackDeps } from "./deps.ts";

export interface SlackAppOptions {
  /** Extra HTTP routes on the app's port in HTTP mode (/healthz, /metrics). */
  routes?: CustomRoute[];
  /** HTTP mode's port; 0 picks a free one (the shell, tests). Defaults to config.port. */
  port?: number;
}

export interface SlackApp {
  app: App;
  client: webApi.WebClient;
  mode: "socket" | "http";
  /** Starts receiving; in HTTP mode resolves with the port it listens on. */
  start(): Promise<{ port?: number }>;
  /** Stops receiving, then waits for the listeners still handling events (acknowledged, not yet answered). */
  stop(): Promise<void>;
}

function required(value: string | undefined, name: string, why: string): string {
  if (!value) throw new RookeryError(`${name} is not set`, { hint: why });
  return value;
}

/**
 * The bot's identity, asked once at start: Bolt then skips auth.test on every request, and a wrong
 * token is reported before the first user notices.
 */
async function botIdentity(client: webApi.WebClient): Promise<{ botId: string; botUserId: string }> {
  try {
    const result = await client.auth.test();
    return { botId: result.bot_id ?? "", botUserId: result.user_id ?? "" };
  } catch (error) {
    throw new RookeryError(`Slack did not accept SLACK_BOT_TOKEN: ${(error as Error).message}`, {
      hint: "Copy the Bot User OAuth Token (xoxb-…) of the installed app; check SLACK_API_URL if you set it.",
      cause: error,
    });
  }
}

/**
 * The Bolt app: Socket Mode when SLACK_APP_TOKEN is set, else HTTP mode with Slack's requests at
 * POST /slack/events (signature checked: a bad or stale one gets 401) plus the extra routes.
 * Bolt acknowledges through the HTTP response as soon as a listener calls ack().
 */
export async function createSlackApp(deps: SlackDeps, options: SlackAppOptions = {}): Promise<SlackApp> {
  const settings = deps.config.slack;
  const token = required(settings.botToken, "SLACK_BOT_TOKEN", "Set the app's Bot User OAuth Token, or run `rookery shell` to try Rookery without Slack.");
  const clientOptions = settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {};
  const logger = boltLogger(deps.logger);
  const identity = await botIdentity(new webApi.WebClient(token, { ...clientOptions, logger }));
  const common = { token, ...identity, logger, clientOptions, ignoreSelf: true };

  let app: App;
  let mode: SlackApp["mode"];
  if (settings.appToken) {
    mode = "socket";
    app = new App({ ...common, appToken: settings.appToken, socketMode: true });
  } else {
    mode = "http";
    const signingSecret = required(settings.signingSecret, "SLACK_SIGNING_SECRET", "HTTP mode verifies every request with the app's Signing Secret.");
    const receiver = new HTTPReceiver({ signingSecret, endpoints: "/slack/events", customRoutes: options.routes ?? [], logger });
    app = new App({ ...common, receiver });
  }
  // Bolt acknowledges before a listener is done (a command's request row, audit row and answer come after the ack), and
  // stopping the receiver does not wait for listeners: stop() does, so the pools they use are closed only after them.
  const handling = new Set<Promise<unknown>>();
  app.use(async ({ next }) => {
    const work = next();
    const settled = work.then(
      () => {},
      () => {},
    );
    handling.add(settled);
    try {
      await work;
    } finally {
      handling.delete(settled);
    }
  });
  registerCommands(app, deps);
  registerActions(app, deps);
  registerModals(app, deps);
  registerEvents(app, deps);
  app.error(async (error) => {
    deps.logger.error({ err: error }, "unhandled error in a Slack listener");
  });

  const port = options.port ?? deps.config.port;
  return {
    app,
    client: app.client,
    mode,
    async start() {
      if (mode === "socket") {
        await app.start();
        return {};
      }
      const server = (await app.start(port)) as Server;
      return { port: (server.address() as AddressInfo).port };
    },
    async stop() {
      await app.stop();
      if (handling.size > 0) deps.logger.info({ handling: handling.size }, "waiting for the Slack events still being handled");
      while (handling.size > 0) await Promise.all(handling);
    },
  };
}
