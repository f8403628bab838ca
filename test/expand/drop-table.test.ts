import { expect } from "vitest";
import { expandContractStory } from "../support/expand.ts";

expandContractStory("DROP TABLE under expand-contract: unreachable from the new version at expand, dropped at complete", {
  setup: "CREATE TABLE sessions_legacy (id bigint PRIMARY KEY, token text); CREATE TABLE keep (id bigint PRIMARY KEY); INSERT INTO sessions_legacy VALUES (1, 't')",
  migration: "-- rookery:expand-contract\nDROP TABLE sessions_legacy;\n",
  async whileExpanded(shapes) {
    await shapes.old("INSERT INTO sessions_legacy VALUES (2, 'u')");
    // Not reachable through public either: a stand-in in the version's schema refuses it.
    await expect(shapes.new("SELECT * FROM sessions_legacy")).rejects.toThrow(/relation "sessions_legacy" is dropped by version 20251201_000001/);
  },
  async afterAbort(shapes) {
    expect(await shapes.old("SELECT count(*)::int AS n FROM sessions_legacy")).toEqual([{ n: 2 }]);
  },
  async afterComplete(shapes) {
    expect(await shapes.old("SELECT to_regclass('public.sessions_legacy') AS t")).toEqual([{ t: null }]);
    expect(await shapes.new("SELECT count(*)::int AS n FROM keep")).toEqual([{ n: 0 }]);
  },
});
