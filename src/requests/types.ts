import * as z from "zod";
import { isPinnedOnATarget } from "./target-pins.ts";

export const REQUEST_KINDS = ["apply", "rollback", "complete", "baseline"] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/**
 * pending -> approved -> queued -> running -> succeeded | failed
 * pending -> rejected | expired | cancelled
 */
export const REQUEST_STATUSES = [
  "pending",
  "approved",
  "rejected",
  "expired",
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** States after which nothing more happens to a request. */
export const FINAL_STATUSES: readonly RequestStatus[] = ["rejected", "expired", "succeeded", "failed", "cancelled"];

export interface Approval {
  userId: string;
  at: Date;
}

export interface ChangeRequest {
  id: string;
  kind: RequestKind;
  environment: string;
  versions: string[];
  /** Checksums of the files when the request was made; the job refuses a file changed since. */
  checksums: Record<string, string>;
  reason: string | null;
  /** Slack user id ("U123") or "cli:alice". */
  requestedBy: string;
  teamId: string | null;
  channelId: string | null;
  messageTs: string | null;
  approvalsRequired: number;
  approvals: Approval[];
  status: RequestStatus;
  createdAt: Date;
  expiresAt: Date;
  /** Approved requests wait until then before their job runs (deployment windows); null runs at once. */
  notBefore: Date | null;
  /** An emergency rollback (break glass): it runs through freezes and closed windows. */
  breakGlass: boolean;
  /** Who rejected or cancelled it. */
  decidedBy: string | null;
  error: string | null;
  result: unknown | null;
  attempts: number;
  updatedAt: Date;
}

/** What a caller supplies; zod-checked because it comes from Slack text or the CLI. */
export const NewRequestSchema = z
  .object({
    kind: z.enum(REQUEST_KINDS),
    environment: z.string().min(1),
    versions: z.array(z.string().regex(/^\d{8}_\d{6}$/, "a version like 20251101_000001")).min(1),
    checksums: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 hex checksum")),
    reason: z.string().max(2000).nullable().default(null),
    requestedBy: z.string().min(1).max(200),
    teamId: z.string().min(1).nullable().default(null),
    channelId: z.string().min(1).nullable().default(null),
    approvalsRequired: z.number().int().min(0).max(10),
    expiresAt: z.date(),
    notBefore: z.date().nullable().default(null),
    breakGlass: z.boolean().default(false),
  })
  .strict()
  // Across targets (src/requests/target-pins.ts) a version is pinned per target, as `target:version`.
  .refine((input) => input.versions.every((version) => input.checksums[version] !== undefined || isPinnedOnATarget(input.checksums, version)), {
    message: "every version needs its pinned checksum",
    path: ["checksums"],
  })
  .refine((input) => !input.breakGlass || input.kind === "rollback", {
    message: "only a rollback can break glass",
    path: ["breakGlass"],
  })
  // Several versions: `/migrate rollback --to`, rolled back newest first in one run.
  .refine((input) => input.kind !== "rollback" || (input.versions.length >= 1 && Boolean(input.reason?.trim())), {
    message: "a rollback names its versions and a reason",
    path: ["reason"],
  });

export type NewRequest = z.input<typeof NewRequestSchema>;

export type ApprovalOutcome = "approved" | "counted" | "duplicate" | "own_request" | "expired" | "not_pending";
export type RejectionOutcome = "rejected" | "not_pending";
