import type { webApi } from "@slack/bolt";
import { pinsOf, type Migration } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { RookeryError } from "../errors.ts";
import { approvalsNeeded, expiryFor, mayApprove, mayRequest } from "../policy/approval.ts";
import { authoriseBreakGlass } from "../policy/break-glass.ts";
import { checkDeployPolicy, describeRefusal } from "../policy/deploy.ts";
import { audit, cancelRequest, createRequest, setMessageRef, type ChangeRequest, type PlannedRun, type RequestKind } from "../requests/index.ts";
import type { SlackDeps } from "./deps.ts";
import { assessMigrations, buildRequestCard } from "./request-card.ts";
import { refreshHomes } from "./home.ts";
import { postMessage } from "./send.ts";
import { slackErrorHint } from "./slack-errors.ts";
import { slackGroupResolver } from "./user-groups.ts";
import { breakGlassAlert } from "./views/break-glass-alert.ts";
import type { SlackMessage } from "./views/blocks.ts";
import { reasonIsLong, reasonReply, requestMessage } from "./views/request-message.ts";

export interface ChangeRequestInput {
  kind: RequestKind;
  environment: Environment;
  migrations: Migration[];
  reason: string | null;
  /** An emergency rollback (`--now`): no approvals, through freezes and windows; see src/policy/break-glass.ts. */
  breakGlass?: boolean;
  userId: string;
  teamId: string;
  channelId: string;
  /** Across targets (docs/targets.md): every target's files pinned on their own, `target:version`. */
  pins?: { versions: string[]; checksums: Record<string, string> };
  /** A rollback across targets: each database's versions, stored with the request (src/slack/targets-rollback.ts). */
  targetRuns?: PlannedRun[];
}

/** Deployment policy: a closed window alone defers the run to the next opening; anything else refuses. */
async function notBeforeFor(deps: SlackDeps, input: ChangeRequestInput): Promise<Date | null> {
  const decision = await checkDeployPolicy({
    config: deps.config,
    environment: input.environment,
    catalog: await deps.loadCatalog(),
    migrations: input.migrations.map((migration) => ({ version: migration.version, checksum: migration.checksum })),
    kind: input.kind,
    now: deps.now(),
  });
  if (decision.allowed) return null;
  if (decision.nextOpen && decision.reasons.length === 1) return decision.nextOpen;
  throw new RookeryError(describeRefusal(input.environment.name, decision), {
    hint: "Nothing was requested. Fix what is listed, or ask an approver about an override.",
  });
}

/** Break glass: only an approver, only a rollback, only where allowed; records and alerts what it sets aside. */
async function authoriseEmergency(deps: SlackDeps, client: webApi.WebClient, input: ChangeRequestInput): Promise<true> {
  const [migration] = input.migrations;
  if (input.kind !== "rollback" || !migration) throw new RookeryError("--now (break glass) is for rollbacks only");
  const { bypassed } = await authoriseBreakGlass({
    config: deps.config,
    environment: input.environment,
    catalog: await deps.loadCatalog(),
    version: migration.version,
    reason: input.reason ?? "",
    actor: input.userId,
    isApprover: await mayApprove(input.environment, input.userId, slackGroupResolver(client)),
    now: deps.now(),
  });
  const alert = breakGlassAlert(input.environment.name, migration.version, input.userId, input.reason ?? "", bypassed);
  await postMessage(client, { channel: input.environment.alertChannel ?? input.channelId }, alert);
  return true;
}

/**
 * Posts the request message. If Slack refuses (the bot is not in a private channel, say), a request
 * still waiting for approval is cancelled, since nobody could click its buttons; one approved at once
 * runs anyway and its result is in the audit log.
 */
async function postRequestMessage(deps: SlackDeps, client: webApi.WebClient, request: ChangeRequest, message: SlackMessage) {
  try {
    return await postMessage(client, { channel: request.channelId ?? "" }, message);
  } catch (error) {
    const cancelled = request.status === "pending" && (await cancelRequest(deps.control, request.id, "rookery", deps.now())).outcome === "rejected";
    throw new RookeryError(`could not post the request in this channel: ${(error as Error).message}`, {
      hint: `${cancelled ? "The request was cancelled. " : ""}${slackErrorHint(error)}`,
      cause: error,
    });
  }
}

/** A reason too long for the request message, whole in its thread; the request stands if Slack refuses it. */
async function replyWithReason(deps: SlackDeps, client: webApi.WebClient, channel: string, threadTs: string, reason: string) {
  try {
    await postMessage(client, { channel, threadTs }, reasonReply(reason));
  } catch (error) {
    deps.logger.warn({ err: error }, "could not post the whole reason in the request's thread");
  }
}

/**
 * A change request from chat: checks who asks, the lint verdict and the deployment policy, stores the
 * request with its checksums pinned, posts the request message in the channel and remembers where it
 * is, so every later step updates it in place.
 */
export async function openChangeRequest(deps: SlackDeps, client: webApi.WebClient, input: ChangeRequestInput): Promise<ChangeRequest> {
  const { environment } = input;
  if (!(await mayRequest(environment, input.userId, slackGroupResolver(client)))) {
    throw new RookeryError(`you may not request changes on ${environment.name}`, {
      hint: "Ask one of the environment's requesters, or an admin to add you to its `requesters` in the config.",
    });
  }
  const gate =
    input.kind === "apply" ? (await assessMigrations(environment, input.migrations, input.pins ? undefined : await deps.loadCatalog())).gate : { extraApprovals: 0, blocked: false };
  const breakGlass = input.breakGlass === true && (await authoriseEmergency(deps, client, input));
  const approvalsRequired = breakGlass ? 0 : approvalsNeeded(environment, gate);
  const notBefore = breakGlass ? null : await notBeforeFor(deps, input);
  const now = deps.now();
  const request = await createRequest(deps.control, {
    kind: input.kind,
    environment: environment.name,
    versions: input.pins?.versions ?? input.migrations.map((migration) => migration.version),
    // An apply pins each rollback file too (src/catalog/pins.ts): the one stored at apply is what an incident runs.
    checksums: input.pins?.checksums ?? (input.kind === "apply" ? pinsOf(input.migrations) : Object.fromEntries(input.migrations.map((migration) => [migration.version, migration.checksum]))),
    reason: input.reason,
    requestedBy: input.userId,
    teamId: input.teamId,
    channelId: input.channelId,
    approvalsRequired,
    expiresAt: expiryFor(environment, now),
    notBefore,
    breakGlass,
  }, input.targetRuns ? { targetRuns: input.targetRuns } : {});
  await audit(deps.control, {
    actor: input.userId,
    teamId: input.teamId,
    action: `request.${input.kind}`,
    requestId: request.id,
    environment: environment.name,
    detail: {
      versions: request.versions,
      checksums: request.checksums,
      reason: request.reason,
      approvalsRequired,
      status: request.status,
      ...(input.targetRuns ? { databases: input.targetRuns.map(({ target, database, versions }) => ({ target, database, versions })) } : {}),
    },
  });
  const message = requestMessage(await buildRequestCard(deps, request));
  const posted = await postRequestMessage(deps, client, request, message);
  if (posted.ts) {
    await setMessageRef(deps.control, request.id, posted.channel ?? input.channelId, posted.ts);
    request.channelId = posted.channel ?? input.channelId;
    request.messageTs = posted.ts;
    if (reasonIsLong(request.reason)) await replyWithReason(deps, client, request.channelId, posted.ts, request.reason);
  }
  if (request.status === "approved") await deps.dispatchOutbox?.();
  refreshHomes(deps);
  return request;
}
