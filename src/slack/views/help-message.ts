import { code, context, section, type SlackMessage } from "./blocks.ts";

export interface UsageLine {
  usage: string;
  summary: string;
}

export function helpMessage(lines: UsageLine[], environments: string[]): SlackMessage {
  return {
    text: "/migrate commands",
    blocks: [
      section(`*/migrate* — safe Postgres schema migrations\n${lines.map((line) => `${code(`/migrate ${line.usage}`)}  ${line.summary}`).join("\n")}`),
      context(`Environments: ${environments.map((name) => code(name)).join(", ")}. A version looks like \`20251101_000001\`.`),
    ],
  };
}
