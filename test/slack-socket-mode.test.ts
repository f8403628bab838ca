import { describe, expect, it } from "vitest";
import { startSlackHarness, USERS } from "./support/slack-app.ts";

describe("Socket Mode against the fake's Socket Mode server: hello, acks by envelope_id, reconnects", async () => {
  const harness = await startSlackHarness({
    label: "slack-socket-mode",
    mode: "socket",
    migrations: { "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n" },
    environments: (databaseUrl) => ({ development: { databaseUrl } }),
    jobs: false,
  });
  const status = async () => harness.answer((await harness.command(USERS.requester, "status development")).responseId);

  it("connects through apps.connections.open with the app token and acknowledges each envelope by its id", async () => {
    expect(harness.rookery.mode).toBe("socket");
    const opens = harness.fake.callsTo("apps.connections.open");
    expect(opens).toHaveLength(1);
    expect(String(opens[0]!.response.url)).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket-mode/);
    expect(harness.fake.socketMode.openConnections).toBe(1);
    // The fake waits for the ack of this envelope's id; acknowledged well within Slack's 3 s.
    const started = Date.now();
    const reply = await harness.command(USERS.requester, "status development");
    expect(reply.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await harness.answer(reply.responseId)).text).toContain("development: current version none");
  });

  it("a disconnect of type refresh_requested: the app opens a new connection and keeps answering", async () => {
    const opened = harness.fake.socketMode.connectionsOpened;
    harness.fake.socketMode.requestRefresh();
    await harness.fake.socketMode.waitForConnection(opened);
    expect(harness.fake.callsTo("apps.connections.open")).toHaveLength(2);
    expect((await status()).text).toContain("current version none");
  }, 30_000);

  it("a dropped socket (no close handshake): the app reconnects and keeps answering", async () => {
    const opened = harness.fake.socketMode.connectionsOpened;
    harness.fake.socketMode.drop();
    await harness.fake.socketMode.waitForConnection(opened);
    expect(harness.fake.socketMode.openConnections).toBe(1);
    expect((await status()).text).toContain("current version none");
  }, 30_000);
});
