import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createRequest,
  ensureControlSchema,
  expirePendingRequests,
  getRequest,
  recordApproval,
  rejectRequest,
  unsentOutbox,
  type NewRequest,
} from "../src/requests/index.ts";
import { requestInput } from "./support/queue.ts";
import { createTestDatabase, query } from "./support/services.ts";

let url: string;
let pool: pg.Pool;

function newRequest(overrides: Partial<NewRequest> = {}): NewRequest {
  return requestInput({ approvalsRequired: 2, ...overrides });
}

async function outboxRows(requestId: string) {
  return query(url, "SELECT request_id FROM rookery_control.outbox WHERE request_id = $1", [requestId]);
}

beforeAll(async () => {
  url = await createTestDatabase("requests");
  pool = new pg.Pool({ connectionString: url });
  // The file's database is dropped WITH (FORCE) at the end; a client still closing must not crash the run.
  pool.on("error", () => {});
  await Promise.all([ensureControlSchema(pool), ensureControlSchema(pool), ensureControlSchema(pool)]);
});
afterAll(async () => {
  await pool.end();
});

describe("approving a change request", () => {
  it("needs the configured number of distinct approvers, then writes its outbox row", async () => {
    const request = await createRequest(pool, newRequest());
    expect(request.status).toBe("pending");

    const first = await recordApproval(pool, request.id, "UAPPROVER1");
    expect(first.outcome).toBe("counted");
    expect(await outboxRows(request.id)).toHaveLength(0);

    const second = await recordApproval(pool, request.id, "UAPPROVER2");
    expect(second.outcome).toBe("approved");
    expect(second.request?.status).toBe("approved");
    expect(second.request?.approvals.map((approval) => approval.userId)).toEqual(["UAPPROVER1", "UAPPROVER2"]);
    expect(await outboxRows(request.id)).toHaveLength(1);
    expect((await unsentOutbox(pool)).map((pending) => pending.id)).toContain(request.id);
  });

  it("rejects the approval, leaving the request pending, when its outbox row cannot be written", async () => {
    const request = await createRequest(pool, newRequest({ approvalsRequired: 1 }));
    // The outbox insert fails (disk full, a constraint): the approval must not commit without it.
    await query(url, `CREATE FUNCTION test_outbox_refuses() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'outbox is full'; END $$;
      CREATE TRIGGER outbox_refuses BEFORE INSERT ON rookery_control.outbox FOR EACH ROW EXECUTE FUNCTION test_outbox_refuses();`);
    try {
      await expect(recordApproval(pool, request.id, "UAPPROVER1")).rejects.toThrow(/outbox is full/);
    } finally {
      await query(url, "DROP TRIGGER outbox_refuses ON rookery_control.outbox; DROP FUNCTION test_outbox_refuses()");
    }
    const after = await getRequest(pool, request.id);
    expect(after?.status).toBe("pending");
    expect(after?.approvals).toEqual([]);
    expect(await outboxRows(request.id)).toHaveLength(0);
    // Once the outbox works again the same click approves it.
    expect((await recordApproval(pool, request.id, "UAPPROVER1")).outcome).toBe("approved");
    expect(await outboxRows(request.id)).toHaveLength(1);
  });

  it("refuses the requester's own approval and counts a second click once", async () => {
    const request = await createRequest(pool, newRequest());
    expect((await recordApproval(pool, request.id, "UREQUESTER")).outcome).toBe("own_request");
    expect((await recordApproval(pool, request.id, "UAPPROVER1")).outcome).toBe("counted");
    expect((await recordApproval(pool, request.id, "UAPPROVER1")).outcome).toBe("duplicate");
    expect((await getRequest(pool, request.id))?.approvals).toHaveLength(1);
  });

  it("counts simultaneous clicks one after the other, approving exactly once", async () => {
    const request = await createRequest(pool, newRequest({ approvalsRequired: 3 }));
    const results = await Promise.all(["UA1", "UA2", "UA3", "UA4", "UA5"].map((user) => recordApproval(pool, request.id, user)));
    const outcomes = results.map((result) => result.outcome).sort();
    expect(outcomes).toEqual(["approved", "counted", "counted", "not_pending", "not_pending"]);
    expect((await getRequest(pool, request.id))?.approvals).toHaveLength(3);
    expect(await outboxRows(request.id)).toHaveLength(1);
  });

  it("turns a click after expiry into an expired request, with nothing enqueued", async () => {
    const request = await createRequest(pool, newRequest({ approvalsRequired: 1, expiresAt: new Date(Date.now() + 60_000) }));
    const late = await recordApproval(pool, request.id, "UAPPROVER1", new Date(Date.now() + 120_000));
    expect(late.outcome).toBe("expired");
    expect(late.request?.status).toBe("expired");
    expect(await outboxRows(request.id)).toHaveLength(0);
  });

  it("expires forgotten pending requests in one sweep", async () => {
    const request = await createRequest(pool, newRequest({ expiresAt: new Date(Date.now() + 1000) }));
    const expired = await expirePendingRequests(pool, new Date(Date.now() + 5000));
    expect(expired.map((each) => each.id)).toContain(request.id);
    expect((await getRequest(pool, request.id))?.status).toBe("expired");
  });

  it("changes nothing when a rejected request is approved afterwards", async () => {
    const request = await createRequest(pool, newRequest({ approvalsRequired: 1 }));
    expect((await rejectRequest(pool, request.id, "UAPPROVER2")).outcome).toBe("rejected");
    const click = await recordApproval(pool, request.id, "UAPPROVER1");
    expect(click.outcome).toBe("not_pending");
    expect(click.request?.status).toBe("rejected");
    expect(click.request?.decidedBy).toBe("UAPPROVER2");
    expect(await outboxRows(request.id)).toHaveLength(0);
  });

  it("approves a request needing no approvals at once, outbox row included", async () => {
    const request = await createRequest(pool, newRequest({ approvalsRequired: 0 }));
    expect(request.status).toBe("approved");
    expect(await outboxRows(request.id)).toHaveLength(1);
  });

  it("rejects a request without pinned checksums or a rollback without a reason, storing nothing", async () => {
    const before = await query(url, "SELECT count(*)::int AS n FROM rookery_control.requests");
    await expect(createRequest(pool, newRequest({ checksums: {} }))).rejects.toThrow(/pinned checksum/);
    await expect(createRequest(pool, newRequest({ kind: "rollback", reason: "  " }))).rejects.toThrow(/reason/);
    expect(await query(url, "SELECT count(*)::int AS n FROM rookery_control.requests")).toEqual(before);
  });

  it("treats a malformed id from a forged button as not found", async () => {
    expect(await recordApproval(pool, "'; DROP TABLE x; --", "UAPPROVER1")).toEqual({ outcome: "not_pending", request: null });
  });
});
