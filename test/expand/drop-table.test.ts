import { expect } from "vitest";
import { expandContractStory } from "../support/expand.ts";

expandContractStory("DROP TABLE under expand-contract: hidden from the version at expand, dropped at complete", {
  setup: "CREATE TABLE sessions_legacy (id bigint PRIMARY KEY, token text); CREATE TABLE keep (id bigint PRIMARY KEY); INSERT INTO sessions_legacy VALUES (1, 't')",
  migration: "-- rookery:expand-contract\nDROP TABLE sessions_legacy;\n",
  async whileExpanded(shapes) {
    await shapes.old("INSERT INTO sessions_legacy VALUES (2, 'u')");
    expect(await shapes.old("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'rookery_20251201_000001' AND table_name = 'sessions_legacy'")).toEqual([{ n: 0 }]);
  },
  async afterAbort(shapes) {
    expect(await shapes.old("SELECT count(*)::int AS n FROM sessions_legacy")).toEqual([{ n: 2 }]);
  },
  async afterComplete(shapes) {
    expect(await shapes.old("SELECT to_regclass('public.sessions_legacy') AS t")).toEqual([{ t: null }]);
    expect(await shapes.new("SELECT count(*)::int AS n FROM keep")).toEqual([{ n: 0 }]);
  },
});
