import { describe, expect, it } from "vitest";
import { commandSlots } from "../src/slack/command-slots.ts";

/** A piece of work the test finishes by hand, so nothing here depends on timing. */
function manualWork(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    run: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
    finish: () => finish(),
  };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("command work slots", () => {
  it("runs at most `size` at once, the next one starting when a slot frees, and returns each result", async () => {
    const log: string[] = [];
    const inSlot = commandSlots(2, 60_000);
    const [a, b, c] = [manualWork(log, "a"), manualWork(log, "b"), manualWork(log, "c")];
    const results = [inSlot(a.run), inSlot(b.run), inSlot(c.run)];
    await turn();
    await turn();
    expect(log).toEqual(["start a", "start b"]);
    a.finish();
    await results[0];
    await turn();
    expect(log).toEqual(["start a", "start b", "end a", "start c"]);
    b.finish();
    c.finish();
    expect(await Promise.all(results)).toEqual(["a", "b", "c"]);
  });

  it("passes a failure through to its caller and still frees the slot", async () => {
    const inSlot = commandSlots(1, 60_000);
    await expect(inSlot(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await inSlot(async () => "next")).toBe("next");
  });

  it("gives the slot back after maxHoldMs while a long command goes on outside it", async () => {
    const log: string[] = [];
    const inSlot = commandSlots(1, 0);
    const long = manualWork(log, "long");
    const longResult = inSlot(long.run);
    expect(await inSlot(async () => "short")).toBe("short");
    expect(log).toEqual(["start long"]);
    long.finish();
    expect(await longResult).toBe("long");
  });
});
