import type { webApi } from "@slack/bolt";
import { describeError } from "../errors.ts";
import { mayApprove } from "../policy/approval.ts";
import { activeFreeze } from "../policy/freeze.ts";
import { checkWindows, formatInZone } from "../policy/windows.ts";
import { listRequests } from "../requests/index.ts";
import { getStatus } from "../runner/index.ts";
import type { SlackDeps } from "./deps.ts";
import { publishHome } from "./send.ts";
import { slackGroupResolver } from "./user-groups.ts";
import { homeView, type HomeEnvironment } from "./views/home-view.ts";

type Sources = Pick<SlackDeps, "config" | "control" | "loadCatalog" | "now" | "logger">;

/** Home tabs are refreshed at most this often, whatever changes (requests, the ledger). */
const REFRESH_EVERY_MS = 2000;

async function environmentFacts(sources: Sources): Promise<HomeEnvironment[]> {
  const catalog = await sources.loadCatalog();
  const now = sources.now();
  return Promise.all(
    Object.values(sources.config.environments).map(async (environment): Promise<HomeEnvironment> => {
      const windows = checkWindows(environment.windows, now);
      const window =
        environment.windows.length === 0
          ? "always open"
          : windows.open
            ? "open now"
            : windows.nextOpen && windows.nextWindow
              ? `opens ${formatInZone(windows.nextOpen, windows.nextWindow.timeZone)}`
              : "closed";
      const freeze = await activeFreeze(sources.control, environment.name);
      const base = { name: environment.name, window, ...(freeze ? { freeze: { by: freeze.frozenBy, reason: freeze.reason } } : {}) };
      try {
        const status = await getStatus(environment, catalog);
        const { counts } = status;
        const expansions = status.migrations.flatMap((migration) => (migration.expansion ? [{ version: migration.version, expansion: migration.expansion }] : []));
        return { ...base, status: { currentVersion: status.currentVersion, pending: counts.pending, failed: counts.failed, drift: counts.drift, expansions } };
      } catch (error) {
        return { ...base, unreachable: describeError(error) };
      }
    }),
  );
}

/** Renders and publishes one user's Home tab. */
export async function publishHomeFor(sources: Sources, client: webApi.WebClient, userId: string): Promise<void> {
  const resolveGroup = slackGroupResolver(client);
  const pending = await listRequests(sources.control, { statuses: ["pending"] });
  const awaiting = [];
  for (const request of pending) {
    const environment = sources.config.environments[request.environment];
    if (!environment || request.requestedBy === userId || request.approvals.some((approval) => approval.userId === userId)) continue;
    if (request.expiresAt <= sources.now()) continue;
    if (await mayApprove(environment, userId, resolveGroup)) awaiting.push(request);
  }
  const view = homeView({ userId, environments: await environmentFacts(sources), awaiting, now: sources.now() });
  await publishHome(client, userId, view);
}

/**
 * Who has opened the Home tab (in this process), so a change to a request or the ledger redraws theirs:
 * at most once every REFRESH_EVERY_MS, for everyone at once.
 */
const viewers = new WeakMap<Sources["control"], { users: Set<string>; timer?: NodeJS.Timeout; sources: Sources; client: webApi.WebClient }>();

export function rememberHomeViewer(sources: Sources, client: webApi.WebClient, userId: string): void {
  const entry = viewers.get(sources.control) ?? { users: new Set<string>(), sources, client };
  entry.users.add(userId);
  viewers.set(sources.control, entry);
}

/** Redraws the Home tab of everyone who opened it (of this app, keyed by its control pool), soon; a burst of changes is one redraw. */
export function refreshHomes(sources: Pick<Sources, "control">): void {
  const entry = viewers.get(sources.control);
  if (!entry || entry.timer || entry.users.size === 0) return;
  const { client } = entry;
  entry.timer = setTimeout(() => {
    entry.timer = undefined;
    for (const userId of entry.users) {
      publishHomeFor(entry.sources, client, userId).catch((error: unknown) =>
        entry.sources.logger.warn({ err: describeError(error), userId }, "could not refresh a Home tab"),
      );
    }
  }, REFRESH_EVERY_MS);
  entry.timer.unref();
}
