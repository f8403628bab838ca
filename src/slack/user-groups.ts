import type { webApi } from "@slack/bolt";
import type { GroupResolver } from "../policy/approval.ts";

/** How long a group's members are trusted before asking Slack again; group changes are rare, clicks are not. */
const CACHE_MS = 60_000;

/**
 * Expands a Slack user group (S…) into its members through usergroups.users.list. A group Slack does
 * not know expands to nobody, so a typo in `approvers` refuses rather than admits.
 */
export function slackGroupResolver(client: webApi.WebClient): GroupResolver {
  let resolver = resolvers.get(client);
  if (!resolver) {
    resolver = cachingResolver(client, Date.now);
    resolvers.set(client, resolver);
  }
  return resolver;
}

/** One resolver (and cache) per Web API client: Bolt hands every listener the same client for the bot token. */
const resolvers = new WeakMap<webApi.WebClient, GroupResolver>();

function cachingResolver(client: webApi.WebClient, now: () => number): GroupResolver {
  const cache = new Map<string, { users: string[]; at: number }>();
  return async (groupId) => {
    const cached = cache.get(groupId);
    if (cached && now() - cached.at < CACHE_MS) return cached.users;
    let users: string[] = [];
    try {
      const result = await client.usergroups.users.list({ usergroup: groupId });
      users = result.users ?? [];
    } catch {
      users = [];
    }
    cache.set(groupId, { users, at: now() });
    return users;
  };
}
