import type { ChangeRequest } from "../../requests/index.ts";
import type { ExpansionSummary } from "../../runner/index.ts";
import { expansionLine } from "./expansion-line.ts";
import { ACTION } from "./action-ids.ts";
import { actions, andMore, code, context, divider, escapeMrkdwn, header, inertExcerpt, MAX_LISTED, section, userMention, type SlackBlock } from "./blocks.ts";
import { SLACK_LIMITS } from "./limits.ts";

/** One environment as the Home tab shows it. */
export interface HomeEnvironment {
  name: string;
  /** Undefined when its database could not be read. */
  status?: { currentVersion: string | null; pending: number; failed: number; drift: number; expansions: { version: string; expansion: ExpansionSummary }[] };
  unreachable?: string;
  freeze?: { by: string; reason: string };
  /** "open now", "opens 2025-11-03 09:00 Europe/Berlin", or "always open". */
  window: string;
}

export interface HomeFacts {
  userId: string;
  environments: HomeEnvironment[];
  /** Pending requests this user may approve (not their own, not yet approved by them). */
  awaiting: ChangeRequest[];
  now: Date;
}

function environmentBlock(environment: HomeEnvironment): SlackBlock {
  const lines = [`*${escapeMrkdwn(environment.name)}*`];
  if (environment.status) {
    const { currentVersion, pending, failed, drift } = environment.status;
    lines.push(`current ${code(currentVersion ?? "none")} · pending ${pending} · failed ${failed} · drift ${drift}`);
    const shown = environment.status.expansions.slice(0, 5);
    lines.push(...shown.map(({ version, expansion }) => `:twisted_rightwards_arrows: ${expansionLine(version, expansion)}`));
    if (environment.status.expansions.length > shown.length) lines.push(andMore(environment.status.expansions.length, shown.length, "rookery status"));
  } else lines.push(`:warning: could not read its ledger: ${inertExcerpt(environment.unreachable ?? "unreachable", 300)}`);
  lines.push(environment.freeze ? `:snowflake: frozen by ${userMention(environment.freeze.by)}: ${inertExcerpt(environment.freeze.reason, 300)}` : `deployment window: ${escapeMrkdwn(environment.window)}`);
  return section(lines.join("\n"));
}

function awaitingBlocks(request: ChangeRequest): SlackBlock[] {
  const what =
    request.kind === "apply" ? `Apply ${request.versions.length === 1 ? code(request.versions[0]!) : `${request.versions.length} migrations`}`
    : request.kind === "complete" ? `Complete ${code(request.versions[0]!)}`
    // A baseline runs nothing and a `rollback --to` rolls several back: each says so, as its request message does.
    : request.kind === "baseline" ? `Baseline up to ${code([...request.versions].sort().at(-1)!)} (record ${request.versions.length} version(s) as applied without running them)`
    : request.versions.length === 1 ? `Roll back ${code(request.versions[0]!)}`
    : `Roll back ${request.versions.length} versions, newest first, from ${code(request.versions[0]!)}`;
  return [
    section(
      `${what} on *${escapeMrkdwn(request.environment)}* · by ${userMention(request.requestedBy)} · ${request.approvals.length} of ${request.approvalsRequired} approvals${request.reason ? `\n*Reason:* ${inertExcerpt(request.reason, 300)}` : ""}`,
    ),
    actions(`home_actions:${request.id}`, [
      { text: "Approve", actionId: ACTION.approve, value: request.id, style: "primary" },
      { text: "Reject", actionId: ACTION.reject, value: request.id, style: "danger" },
    ]),
  ];
}

/** The Home tab: every environment at a glance, then the requests waiting for this user, with their buttons. */
export function homeView(facts: HomeFacts): { type: "home"; blocks: SlackBlock[] } {
  // Each environment is 1 block, each waiting request 2; the Home tab holds 100.
  const environments = facts.environments.slice(0, 30);
  const room = Math.floor((SLACK_LIMITS.viewBlocks - environments.length - 10) / 2);
  const awaiting = facts.awaiting.slice(0, Math.min(room, 20));
  return {
    type: "home",
    blocks: [
      header("Rookery: migrations"),
      ...environments.map(environmentBlock),
      ...(facts.environments.length > environments.length ? [context(andMore(facts.environments.length, environments.length, "rookery status"))] : []),
      divider(),
      header(awaiting.length > 0 ? `Waiting for your approval (${facts.awaiting.length})` : "Nothing waits for your approval"),
      ...awaiting.flatMap(awaitingBlocks),
      ...(facts.awaiting.length > awaiting.length ? [context(`… and ${facts.awaiting.length - awaiting.length} more in the channels' request messages`)] : []),
      context(`Updated ${facts.now.toISOString().slice(0, 16).replace("T", " ")} UTC · \`/migrate help\` for commands`),
    ].slice(0, SLACK_LIMITS.viewBlocks),
  };
}

export const HOME_MAX_LISTED = MAX_LISTED;
