import { analyzeMigration, loadParser, type MigrationAnalysis } from "../analysis/index.ts";
import type { Catalog, Migration } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { describeLastApproval } from "../policy/approval.ts";
import { lintGate } from "../policy/lint-gate.ts";
import { describeWatchNews } from "../queue/notifier.ts";
import { isAcrossTargets, listAudit, listTargetRuns, targetPinKey, watchOfRequest, type ChangeRequest, type RequestStatus } from "../requests/index.ts";
import { catalogOf, resolveTargets } from "../targets/index.ts";
import { deprecationLines, getStatus, previewRollback, type ExpansionSummary } from "../runner/index.ts";
import { analyzeForTarget } from "../runner/lint-knowledge.ts";
import type { SlackDeps } from "./deps.ts";
import type { CardMigration, CardRollbackGroup, CardWatch, RequestCard } from "./views/request-message.ts";

/** Audit action written when an approver sets lint findings aside, before the message is redrawn; the card reads it back. */
export const OVERRIDE_ACTION = "lint.override";
/** Audit action of a rejection with its reason (the Reject modal); the card shows the reason. */
export const REJECTED_ACTION = "request.rejected";

const UNDECIDED: readonly RequestStatus[] = ["pending", "approved", "queued"];

/** SQL previews only for small requests: an `apply all` of twenty files would drown the channel. */
const MAX_PREVIEWS = 3;

export interface Assessment {
  analyses: MigrationAnalysis[];
  gate: ReturnType<typeof lintGate>;
}

/**
 * The analysis and lint verdict of the migrations a request would run, as `rookery lint` finds them on
 * the environment (the catalog's earlier files and the ledger's applied set known). Without a catalog
 * (a request across targets) each file is analysed alone.
 */
export async function assessMigrations(environment: Environment, migrations: Migration[], catalog?: Catalog): Promise<Assessment> {
  await loadParser();
  const analyses = catalog ? [...(await analyzeForTarget(environment, catalog, migrations)).values()] : migrations.map((migration) => analyzeMigration(migration));
  return { analyses, gate: lintGate(environment, analyses) };
}

function blockingLines(gate: Assessment["gate"]): string[] {
  return gate.blocking.map((finding) => `${finding.rule} (${finding.file}:${finding.line}): ${finding.message}`);
}

/**
 * Every pinned file by version, read from the folder of the first target that pinned it (two folders may
 * reuse a version), and which targets pinned each version.
 */
function targetsCatalog(config: SlackDeps["config"], environment: Environment, checksums: Record<string, string>): { byVersion: Map<string, Migration>; where: Map<string, string[]> } {
  const byVersion = new Map<string, Migration>();
  const where = new Map<string, string[]>();
  for (const target of resolveTargets(config, environment)) {
    for (const migration of catalogOf(target).migrations) {
      if (checksums[targetPinKey(target.name, migration.version)] === undefined) continue;
      if (!byVersion.has(migration.version)) byVersion.set(migration.version, migration);
      where.set(migration.version, [...(where.get(migration.version) ?? []), target.name]);
    }
  }
  return { byVersion, where };
}

function pinOnTargets(config: SlackDeps["config"], environment: Environment, checksums: Record<string, string>, version: string): string | undefined {
  const first = resolveTargets(config, environment).find((target) => checksums[targetPinKey(target.name, version)] !== undefined);
  return first ? checksums[targetPinKey(first.name, version)] : undefined;
}

type CardSources = Pick<SlackDeps, "config" | "control" | "loadCatalog" | "now">;

/** What approvers did to the request besides approving: an audited lint override, a rejection's reason. */
async function auditedDecisions(sources: CardSources, requestId: string): Promise<{ overriddenBy?: string; rejectionReason?: string }> {
  const entries = await listAudit(sources.control, { requestId, limit: 50 });
  const reason = entries.find((entry) => entry.action === REJECTED_ACTION)?.detail.reason;
  return {
    overriddenBy: entries.find((entry) => entry.action === OVERRIDE_ACTION)?.actor,
    ...(typeof reason === "string" ? { rejectionReason: reason } : {}),
  };
}

/** The engine's preview of a rollback (stored script, the document's safety check); a refusal or an unreachable target leaves it out. */
async function rollbackFacts(environment: Environment, version: string) {
  try {
    const preview = await previewRollback(environment, version);
    return { hasRollback: true, safety: { safety: preview.safety, appliedAt: preview.appliedAt } };
  } catch {
    return { hasRollback: false };
  }
}

/** A complete request's expansion, read as `status` reads it; an unreachable target leaves it out. */
async function expansionOf(sources: CardSources, environment: Environment, version: string): Promise<ExpansionSummary | undefined> {
  try {
    const status = await getStatus(environment, await sources.loadCatalog());
    return status.migrations.find((migration) => migration.version === version)?.expansion;
  } catch {
    return undefined;
  }
}

/** A complete request's deprecation check of what it drops (pg_stat_statements); an unreachable target leaves it out. */
async function deprecationOf(sources: CardSources, environment: Environment, version: string): Promise<string[]> {
  try {
    return await deprecationLines(environment, version, sources.now());
  } catch {
    return [];
  }
}

/**
 * Everything the request message shows, rebuilt from the stored request, the folder and the ledger
 * for every update: the message may be updated by a worker on another machine, so nothing is kept
 * in memory between renders.
 */
export async function buildRequestCard(sources: CardSources, request: ChangeRequest, progress?: string): Promise<RequestCard> {
  const environment = sources.config.environments[request.environment];
  // Across targets the versions are the targets' files, pinned per target (docs/targets.md).
  const acrossTargets = environment !== undefined && isAcrossTargets(request.checksums);
  const ownCatalog = acrossTargets ? undefined : await sources.loadCatalog();
  const catalog = ownCatalog ?? targetsCatalog(sources.config, environment!, request.checksums);
  const where = "where" in catalog ? catalog.where : undefined;
  const migrations = request.versions.map((version) => catalog.byVersion.get(version));
  const found = migrations.filter((migration): migration is Migration => migration !== undefined);
  const assessment = environment && request.kind === "apply" ? await assessMigrations(environment, found, ownCatalog) : undefined;
  // Once a rollback has run, the ledger no longer offers it: its card keeps what was checked when it was asked.
  const facts =
    environment && request.kind === "rollback"
      ? acrossTargets
        ? { hasRollback: true }
        : UNDECIDED.includes(request.status)
        ? await rollbackFacts(environment, request.versions[0]!)
        : { hasRollback: true }
      : undefined;

  const contracting = environment && request.kind === "complete" && UNDECIDED.includes(request.status) ? environment : undefined;
  const expansion = contracting ? await expansionOf(sources, contracting, request.versions[0]!) : undefined;
  const deprecation = contracting ? await deprecationOf(sources, contracting, request.versions[0]!) : [];

  const cards: CardMigration[] = request.versions.map((version) => {
    const migration = catalog.byVersion.get(version);
    const pinnedChecksum = request.checksums[version] ?? (acrossTargets ? (pinOnTargets(sources.config, environment!, request.checksums, version) ?? "") : "");
    return {
      version,
      description: migration?.description ?? "(file no longer in the migrations folder)",
      pinnedChecksum,
      changedSinceRequest: request.kind === "apply" && migration?.checksum !== pinnedChecksum,
      // An expand-contract file is rolled back by aborting its expansion (docs/expand-contract.md): no file needed.
      hasRollback: request.kind === "apply" ? Boolean(migration?.rollback) || migration?.expandContract === true : (facts?.hasRollback ?? false),
      analysis: assessment?.analyses.find((analysis) => analysis.version === version),
      sql: request.kind === "apply" && request.versions.length <= MAX_PREVIEWS ? migration?.sql : undefined,
      ...(where?.has(version) ? { targets: where.get(version)! } : {}),
      ...(expansion ? { expansion } : {}),
      ...(deprecation.length > 0 ? { deprecation } : {}),
    };
  });
  return {
    request,
    migrations: cards,
    ...(facts?.safety ? { rollbackSafety: facts.safety } : {}),
    blocking: assessment ? blockingLines(assessment.gate) : [],
    ...(await auditedDecisions(sources, request.id)),
    lastApprovalDoes: describeLastApproval(request.approvalsRequired, request.notBefore),
    ...(progress ? { progress } : {}),
    ...(await watchFacts(sources, request)),
    ...(acrossTargets && request.kind === "rollback" ? { rollbackPlan: await rollbackPlanOf(sources, environment!, request) } : {}),
  };
}

/** A rollback across targets: which databases roll back which versions, grouped per target and versions. */
async function rollbackPlanOf(sources: CardSources, environment: Environment, request: ChangeRequest): Promise<CardRollbackGroup[]> {
  const fleets = new Set(resolveTargets(sources.config, environment).filter((target) => target.kind === "fleet").map((target) => target.name));
  const groups = new Map<string, CardRollbackGroup>();
  for (const run of await listTargetRuns(sources.control, request.id)) {
    const key = `${run.target} ${run.versions.join(",")}`;
    const group = groups.get(key) ?? { target: run.target, fleet: fleets.has(run.target), databases: [], versions: run.versions };
    group.databases.push(run.database);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** The watch after an apply (autoRollback), as the card shows it. */
async function watchFacts(sources: CardSources, request: ChangeRequest): Promise<{ watch?: CardWatch }> {
  if (request.kind !== "apply" || request.status !== "succeeded") return {};
  const watch = await watchOfRequest(sources.control, request.id);
  if (!watch) return {};
  const outcome = watch.outcome ? describeWatchNews(watch, { kind: "finished", outcome: watch.outcome, decidedBy: watch.decidedBy }) : undefined;
  return { watch: { status: watch.status, endsAt: watch.plan.endsAt, checks: watch.plan.checks.map((check) => check.name), ...(outcome ? { outcome } : {}) } };
}
