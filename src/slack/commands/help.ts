import { helpMessage } from "../views/help-message.ts";
import { defineSubcommand, type Subcommand } from "./subcommand.ts";

/** Lists the registered subcommands; built from the registry so a new subcommand documents itself. */
export function helpSubcommand(all: () => readonly Subcommand[]): Subcommand {
  return defineSubcommand({
    name: "help",
    usage: "help",
    summary: "this list",
    parse: () => ({}),
    async run(_args, { deps, replyPrivately }) {
      await replyPrivately(helpMessage([...all()], Object.keys(deps.config.environments)));
    },
  });
}
