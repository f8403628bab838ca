import { describe, expect, it } from "vitest";
import { query } from "./support/services.ts";
import { CHANNEL, startSlackHarness, TEAM, USERS } from "./support/slack-app.ts";

describe("requests not signed with the app's signing secret are turned away", async () => {
  const harness = await startSlackHarness({
    label: "slack-signature",
    migrations: { "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n" },
    environments: (databaseUrl) => ({ development: { databaseUrl } }),
    jobs: false,
  });
  const body = (text: string) => {
    const { url } = harness.fake.newResponseUrl();
    return new URLSearchParams({ user_id: USERS.requester, team_id: TEAM, channel_id: CHANNEL, command: "/migrate", text, response_url: url }).toString();
  };

  it("answers 401 to a forged signature and runs nothing", async () => {
    const reply = await harness.http!.post(body("apply all development"), "application/x-www-form-urlencoded", { secret: "not-the-secret" });
    expect(reply.status).toBe(401);
    expect(harness.fake.calls).toEqual([expect.objectContaining({ method: "auth.test" })]);
  });

  it("answers 401 to a correctly signed but stale request (replayed after 10 minutes)", async () => {
    const reply = await harness.http!.post(body("status"), "application/x-www-form-urlencoded", {
      timestamp: Math.floor(Date.now() / 1000) - 600,
    });
    expect(reply.status).toBe(401);
    expect(harness.fake.callsTo("response_url")).toEqual([]);
  });

  it("leaves no trace of either: no audit line, no request", async () => {
    expect(await query(harness.databaseUrl, "SELECT action FROM rookery_control.audit_log")).toEqual([]);
    expect(await query(harness.databaseUrl, "SELECT id FROM rookery_control.requests")).toEqual([]);
  });
});
