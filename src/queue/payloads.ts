import { UnrecoverableError } from "bullmq";
import * as z from "zod";

/** The queue every job kind shares; BullMQ's prefix (QUEUE_PREFIX) keeps deployments and test files apart. */
export const JOBS_QUEUE = "jobs";

const environmentName = z.string().regex(/^[a-z][a-z0-9_-]*$/, "an environment name from the config");
const version = z.string().regex(/^\d{8}_\d{6}$/, "a version like 20251101_000001");

/** Apply and rollback jobs carry only the request id: the request in Postgres is the truth, not Redis. */
const RequestJobSchema = z.object({ requestId: z.uuid(), environment: environmentName }).strict();

export const JobPayloadSchemas = {
  apply: RequestJobSchema,
  rollback: RequestJobSchema,
  /** The contract of an expand-contract migration (src/expand/), approved like an apply. */
  complete: RequestJobSchema,
  baseline: RequestJobSchema,
  verify: z.object({ environment: environmentName, version: version.optional(), requestedBy: z.string().min(1).max(200) }).strict(),
  "health-poll": z.object({ environment: environmentName }).strict(),
  /** One round of the watch after an apply; `now`: an approver's "Roll back now", not a timed round. State is in Postgres. */
  watch: z.object({ watchId: z.uuid(), round: z.number().int().min(1), now: z.boolean().default(false) }).strict(),
  /** One database of a request across targets (docs/targets.md), a child of the request's job. */
  "apply-database": RequestJobSchema.extend({ target: z.string().min(1).max(63), database: z.string().min(1).max(63) }).strict(),
  /** A rollback drill of one environment (src/runner/drill.ts), from its job scheduler. */
  drill: z.object({ environment: environmentName }).strict(),
} as const;

export type JobKind = keyof typeof JobPayloadSchemas;
export type JobPayload<K extends JobKind> = z.infer<(typeof JobPayloadSchemas)[K]>;
export const JOB_KINDS = Object.keys(JobPayloadSchemas) as JobKind[];

function isJobKind(name: string): name is JobKind {
  return Object.hasOwn(JobPayloadSchemas, name);
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "payload"}: ${issue.message}`).join("; ");
}

/** Checked before a job is added: a malformed payload never reaches Redis. */
export function payloadFor<K extends JobKind>(kind: K, data: unknown): JobPayload<K> {
  const parsed = JobPayloadSchemas[kind].safeParse(data);
  if (!parsed.success) throw new TypeError(`invalid ${kind} job payload: ${describeIssues(parsed.error)}`);
  return parsed.data as JobPayload<K>;
}

export type ParsedJob = { [K in JobKind]: { kind: K; payload: JobPayload<K> } }[JobKind];

/** Checked again when a job is taken: a bad payload (another version, a hand-made job) fails at once, unretried. */
export function parseJob(name: string, data: unknown): ParsedJob {
  if (!isJobKind(name)) throw new UnrecoverableError(`unknown job kind "${name}"`);
  const parsed = JobPayloadSchemas[name].safeParse(data);
  if (!parsed.success) throw new UnrecoverableError(`invalid ${name} job payload: ${describeIssues(parsed.error)}`);
  return { kind: name, payload: parsed.data } as ParsedJob;
}
