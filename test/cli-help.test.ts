import { describe, expect, it } from "vitest";
import { registeredCommands } from "../src/cli/main.ts";
import { rookery } from "./support/cli.ts";

describe("rookery help", () => {
  it("`rookery --help` lists every command with its summary, exits 0 and needs no database", async () => {
    const run = await rookery(["--help"], {});
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    for (const { name, summary } of registeredCommands()) {
      expect(lines.some((line) => line.trimStart().startsWith(`${name} `) && line.endsWith(`  ${summary}`)), name).toBe(true);
    }
    expect(run.stderr).toBe("");
  });

  it("`rookery help status` and `rookery status --help` print that command's usage and exit codes", async () => {
    for (const args of [["help", "status"], ["status", "--help"]]) {
      const run = await rookery(args, {});
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: rookery status/);
      expect(run.stdout).toContain("Exit codes: 0 ok, 1 failed, 2 usage error.");
    }
  });

  it("every entry of the registry loads its file, whose help is that command's", async () => {
    for (const entry of registeredCommands()) {
      const command = await entry.load();
      expect(command.help, entry.name).toMatch(new RegExp(`^Usage: rookery ${entry.name}\\b`));
    }
  });
});
