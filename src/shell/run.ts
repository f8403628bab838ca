import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { Config } from "../config/index.ts";
import { ShellSession, type ShellOptions } from "./session.ts";

/** The interactive loop of `rookery shell`: one line at a time into the session until `quit` or end of input. */
export async function runShell(config: Config, io: { input: Readable; write(text: string): void; userId?: string; jobs?: ShellOptions["jobs"] }): Promise<void> {
  const { write } = io;
  const session = await ShellSession.start(config, { write, userId: io.userId, jobs: io.jobs });
  write(session.banner());
  const lines = createInterface({ input: io.input, terminal: false });
  try {
    for await (const line of lines) {
      if (!(await session.handle(line))) break;
    }
  } finally {
    lines.close();
    await session.close();
  }
}
