import { afterAll, describe, expect, it } from "vitest";
import { startFakeSlackApi } from "../src/shell/fake-slack-api.ts";
import { checkedMessage } from "../src/slack/send.ts";
import { escapeMrkdwn, fitMessage, section, splitMrkdwn, truncate, type SlackBlock } from "../src/slack/views/blocks.ts";
import { messageViolation, viewViolation } from "../src/slack/views/limits.ts";

const mrkdwn = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });
const button = (text: string, value = "v", actionId = "a") => ({ type: "button", text: { type: "plain_text", text }, action_id: actionId, value });
const many = (n: number, make: (index: number) => unknown) => Array.from({ length: n }, (_, index) => make(index));

/** What Slack answers for each payload: the one validator the app and the fake Web API share. */
const MESSAGE_CASES: [string, Record<string, unknown>, string | undefined][] = [
  ["a plain message", { text: "hello" }, undefined],
  ["50 sections", { text: "t", blocks: many(50, (i) => mrkdwn(`s${i}`)) }, undefined],
  ["51 sections", { text: "t", blocks: many(51, (i) => mrkdwn(`s${i}`)) }, "invalid_blocks"],
  ["section text of 3,000", { text: "t", blocks: [mrkdwn("x".repeat(3000))] }, undefined],
  ["section text of 3,001", { text: "t", blocks: [mrkdwn("x".repeat(3001))] }, "invalid_blocks"],
  ["empty section text", { text: "t", blocks: [mrkdwn("")] }, "invalid_blocks"],
  ["header of 151", { text: "t", blocks: [{ type: "header", text: { type: "plain_text", text: "h".repeat(151) } }] }, "invalid_blocks"],
  ["mrkdwn header", { text: "t", blocks: [{ type: "header", text: { type: "mrkdwn", text: "h" } }] }, "invalid_blocks"],
  ["11 fields", { text: "t", blocks: [{ type: "section", fields: many(11, () => ({ type: "mrkdwn", text: "f" })) }] }, "invalid_blocks"],
  ["a field of 2,001", { text: "t", blocks: [{ type: "section", fields: [{ type: "mrkdwn", text: "f".repeat(2001) }] }] }, "invalid_blocks"],
  ["11 context elements", { text: "t", blocks: [{ type: "context", elements: many(11, () => ({ type: "mrkdwn", text: "c" })) }] }, "invalid_blocks"],
  ["button text of 76", { text: "t", blocks: [{ type: "actions", elements: [button("b".repeat(76))] }] }, "invalid_blocks"],
  ["button value of 2,001", { text: "t", blocks: [{ type: "actions", elements: [button("b", "v".repeat(2001))] }] }, "invalid_blocks"],
  ["action_id of 256", { text: "t", blocks: [{ type: "actions", elements: [button("b", "v", "a".repeat(256))] }] }, "invalid_blocks"],
  ["duplicate block_id", { text: "t", blocks: [{ ...mrkdwn("a"), block_id: "x" }, { ...mrkdwn("b"), block_id: "x" }] }, "invalid_blocks"],
  ["a block type Slack does not know", { text: "t", blocks: [{ type: "table", rows: [] }] }, "invalid_blocks"],
  ["top-level text of 4,000", { text: "x".repeat(4000) }, undefined],
  ["top-level text of 4,001", { text: "x".repeat(4001) }, "msg_too_long"],
  ["no top-level text", { blocks: [mrkdwn("a")] }, "no_text"],
];

describe("one validator of Slack's limits", () => {
  it.each(MESSAGE_CASES)("%s", (_name, payload, error) => {
    expect(messageViolation(payload)?.error).toBe(error);
  });

  it("names where a payload is over a limit, as Slack does", () => {
    const violation = messageViolation({ text: "t", blocks: [mrkdwn("ok"), mrkdwn("x".repeat(3001))] });
    expect(violation?.messages[0]).toContain("[json-pointer:/blocks/1/text/text]");
  });

  it("holds a Home tab and a modal to 100 blocks and a modal title to 24 characters", () => {
    expect(viewViolation({ type: "home", blocks: many(100, (i) => mrkdwn(`s${i}`)) })).toBeUndefined();
    expect(viewViolation({ type: "home", blocks: many(101, (i) => mrkdwn(`s${i}`)) })?.error).toBe("invalid_blocks");
    const modal = { type: "modal", title: { type: "plain_text", text: "Reject request" }, blocks: [mrkdwn("why?")] };
    expect(viewViolation(modal)).toBeUndefined();
    expect(viewViolation({ ...modal, title: { type: "plain_text", text: "t".repeat(25) } })?.messages[0]).toContain("/view/title/text");
  });

  it("fitMessage keeps the header and the buttons of a message with too many blocks, and says what was left out", () => {
    const blocks = [
      { type: "header", text: { type: "plain_text", text: "Apply 300 migrations" } },
      ...many(300, (i) => mrkdwn(`migration ${i}`)),
      { type: "actions", elements: [button("Request rollback")] },
    ] as SlackBlock[];
    const fitted = checkedMessage({ text: "Apply 300 migrations on production: failed", blocks });
    expect(fitted.blocks).toHaveLength(50);
    expect(fitted.blocks[0]!.type).toBe("header");
    expect(fitted.blocks.at(-1)!.type).toBe("actions");
    expect(JSON.stringify(fitted.blocks)).toContain("253 more blocks not shown");
    expect(messageViolation(fitMessage({ text: "x ".repeat(5000), blocks: [] }))).toBeUndefined();
  });
});

/** The hostile text of the issue: mentions, links, every formatting marker, a fence that tries to close a table. */
const HOSTILE = "<!channel> <@U123> <!here|here> <https://evil.example|click me> *bold* _it_ ~gone~ `code` ```fence``` &amp; & > quote\n> quoted line https://evil.example/x www.evil.example";

/** The mrkdwn outside code spans and fences: where formatting and mentions would apply. */
function outsideCode(text: string): string {
  return text.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
}

describe("user text is inert in mrkdwn", () => {
  it("can mention nobody, link nowhere and change no formatting", () => {
    const inert = escapeMrkdwn(HOSTILE);
    expect(inert).not.toMatch(/[<>]/);
    const outside = outsideCode(inert);
    expect(outside).not.toMatch(/[*~`]/);
    expect(outside).not.toMatch(/(^|\W)_|_(\W|$)/);
    expect(outside).not.toContain("https://");
    expect(outside).not.toContain("www.");
    expect(outside).not.toMatch(/^\s*&gt;/m);
    // Ordinary text stays as typed, snake_case included.
    expect(escapeMrkdwn("add_user_id to users (see ticket 42)")).toBe("add_user_id to users (see ticket 42)");
  });

  it("is never cut inside an entity, and split pieces keep every character", () => {
    const reason = "<!channel>".repeat(199);
    const inert = escapeMrkdwn(reason);
    expect(inert.length).toBeGreaterThan(3000);
    const cut = truncate(inert, 3000);
    expect(cut.length).toBeLessThanOrEqual(3000);
    expect(cut.replace(/&(amp|lt|gt);/g, "")).not.toContain("&");
    const pieces = splitMrkdwn(inert);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(3000);
      expect(piece.replace(/&(amp|lt|gt);/g, "")).not.toMatch(/[&;]/);
    }
    expect(pieces.join("")).toBe(inert);
    expect(section(inert)).toMatchObject({ text: { text: cut } });
  });

  it("a split inside a monospace block closes and reopens the fence", () => {
    const table = `\`\`\`${"row of a table\n".repeat(400)}\`\`\``;
    const pieces = splitMrkdwn(table);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) expect(piece.split("```").length - 1).toBe(2);
  });
});

describe("the fake Web API answers as strictly as Slack", async () => {
  const fake = await startFakeSlackApi({ rateLimits: { postMessagePerChannel: { burst: 2, perSecond: 1 }, update: { burst: 20, perSecond: 1 } } });
  afterAll(() => fake.close());
  const call = async (method: string, body: Record<string, unknown>) => {
    const response = await fetch(`${fake.apiUrl}${method}`, {
      method: "POST",
      headers: { authorization: "Bearer xoxb-test", "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as Record<string, unknown> };
  };

  it("refuses a message over a limit with invalid_blocks or msg_too_long, and posts nothing", async () => {
    const before = fake.messages.size;
    expect((await call("chat.postMessage", { channel: "C1", text: "t", blocks: many(51, (i) => mrkdwn(`s${i}`)) })).body).toMatchObject({ ok: false, error: "invalid_blocks" });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await call("chat.postMessage", { channel: "C1", text: "x".repeat(4001) })).body).toMatchObject({ ok: false, error: "msg_too_long" });
    expect(fake.messages.size).toBe(before);
  });

  it("answers 429 with Retry-After past one post a second per channel; another channel is not held up", async () => {
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await call("chat.postMessage", { channel: "CBUSY", text: `post ${i}` }));
    const limited = results.filter((result) => result.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(2);
    expect(Number(limited[0]!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.body).toMatchObject({ ok: false, error: "ratelimited" });
    expect((await call("chat.postMessage", { channel: "COTHER", text: "hello" })).status).toBe(200);
  });

  it("a trigger_id opens one modal, within 3 s of being issued", async () => {
    const modal = { type: "modal", title: { type: "plain_text", text: "Reason" }, blocks: [mrkdwn("why?")] };
    const fresh = `trigger.${Date.now()}.1.user=U1`;
    expect((await call("views.open", { trigger_id: fresh, view: modal })).body).toMatchObject({ ok: true });
    expect((await call("views.open", { trigger_id: fresh, view: modal })).body).toMatchObject({ ok: false, error: "expired_trigger_id" });
    expect((await call("views.open", { trigger_id: `trigger.${Date.now() - 3500}.2.user=U1`, view: modal })).body).toMatchObject({ ok: false, error: "expired_trigger_id" });
    expect((await call("views.open", { trigger_id: `trigger.${Date.now()}.3.user=U1`, view: { ...modal, blocks: many(101, (i) => mrkdwn(`s${i}`)) } })).body).toMatchObject({ ok: false, error: "invalid_blocks" });
  });

  it("a response_url takes five valid answers, then answers 400; a bad body gets 400 too", async () => {
    const { url } = fake.newResponseUrl();
    const post = (body: unknown) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await post({ text: "t", blocks: [mrkdwn("x".repeat(3001))] })).status).toBe(400);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post({ text: `answer ${i}` })).status);
    // The refused body counted as a use, as Slack counts every post.
    expect(statuses).toEqual([200, 200, 200, 200, 400]);
  });
});
