import { expect } from "vitest";
import { expandContractStory } from "../support/expand.ts";

expandContractStory("ADD CONSTRAINT UNIQUE, CHECK and FOREIGN KEY under expand-contract", {
  setup: `CREATE TABLE teams (id bigint PRIMARY KEY);
          CREATE TABLE members (id bigint PRIMARY KEY, team_id bigint, handle text, age integer);
          INSERT INTO teams SELECT g FROM generate_series(1, 5) g;
          INSERT INTO members SELECT g, g % 5 + 1, 'h' || g, 20 + g % 40 FROM generate_series(1, 300) g`,
  migration: `-- rookery:expand-contract
ALTER TABLE members ADD CONSTRAINT members_handle_key UNIQUE (handle);
ALTER TABLE members ADD CONSTRAINT members_age_check CHECK (age >= 0), ADD CONSTRAINT members_team_fk FOREIGN KEY (team_id) REFERENCES teams (id);
`,
  async whileExpanded(shapes) {
    expect(await shapes.old("SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'members'::regclass AND contype IN ('c', 'f') ORDER BY conname")).toEqual([
      { conname: "members_age_check", convalidated: true },
      { conname: "members_team_fk", convalidated: true },
    ]);
    await expect(shapes.old("INSERT INTO members VALUES (1001, 1, 'h1', 30)")).rejects.toThrow(/duplicate key/);
    await expect(shapes.new("INSERT INTO members VALUES (1001, 99, 'x', 30)")).rejects.toThrow(/foreign key/);
    await shapes.new("INSERT INTO members VALUES (1002, 2, 'new', 30)");
    expect(await shapes.old("SELECT handle FROM members WHERE id = 1002")).toEqual([{ handle: "new" }]);
  },
  async afterAbort(shapes) {
    await shapes.old("INSERT INTO members VALUES (1003, 99, 'h1', -1)");
    await shapes.old("DELETE FROM members WHERE id = 1003");
  },
  async afterComplete(shapes) {
    expect(await shapes.old("SELECT conname FROM pg_constraint WHERE conrelid = 'members'::regclass AND contype IN ('u', 'c', 'f') ORDER BY conname")).toEqual([
      { conname: "members_age_check" },
      { conname: "members_handle_key" },
      { conname: "members_team_fk" },
    ]);
  },
});
