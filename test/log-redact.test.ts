import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, redactUrl } from "../src/log/logger.ts";

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe("logging", () => {
  it("never writes a secret, wherever it sits in the logged object", () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: "info" }, stream);
    logger.info(
      {
        databaseUrl: "postgres://app:hunter2@db/app",
        slack: { botToken: "xoxb-secret-token", signingSecret: "sign-secret" },
        environment: { name: "production", databaseUrl: "postgres://app:hunter2@db/prod" },
        password: "hunter2",
      },
      "starting",
    );
    const output = lines.join("");
    expect(output).toContain("starting");
    expect(output).toContain("production");
    for (const secret of ["hunter2", "xoxb-secret-token", "sign-secret"]) expect(output).not.toContain(secret);
  });

  it("prints connection URLs with the password replaced and nothing else lost", () => {
    expect(redactUrl("postgres://app:hunter2@db.example:5432/app?sslmode=require")).toBe(
      "postgres://app:***@db.example:5432/app?sslmode=require",
    );
    expect(redactUrl("postgres://postgres@127.0.0.1:5432/postgres")).toBe("postgres://postgres@127.0.0.1:5432/postgres");
  });
});
