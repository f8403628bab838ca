import * as z from "zod";
import { parseVersion } from "../catalog/index.ts";
import { UsageError } from "../errors.ts";
import { getHistory } from "../runner/index.ts";
import type { HistoryEvent } from "../runner/types.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { configFor, runCommand, shortTime, table } from "./format.ts";

const HELP = `Usage: rookery history [--limit N] [--version VERSION]

Everything that happened, newest first: applied, failed, rolled back, with who, when and why.

Options:
  --limit N          at most N events (default 50)
  --version VERSION  only this version's events

${COMMON_HELP}`;

const DEFAULT_LIMIT = 50;
const Limit = z.coerce.number().int().positive().max(100_000);

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  const parsed = Limit.safeParse(text);
  if (!parsed.success) throw new UsageError(`--limit ${text} is not a positive whole number`, { hint: "e.g. --limit 20" });
  return parsed.data;
}

/** "tenant 3 (50 rows)" for the per-tenant events of a tenant-scoped migration. */
function tenantOf(event: HistoryEvent): string | undefined {
  const { tenantId, affectedRows, failedTenant } = event.detail as { tenantId?: unknown; affectedRows?: unknown; failedTenant?: unknown };
  if (typeof tenantId === "string") return `tenant ${tenantId}${typeof affectedRows === "number" ? ` (${affectedRows} rows)` : ""}`;
  if (typeof failedTenant === "string") return `failed at tenant ${failedTenant}`;
  return undefined;
}

function printHistory(io: CliIO, environment: string, events: HistoryEvent[]): void {
  if (events.length === 0) {
    io.stdout(`${environment}: no history yet\n`);
    return;
  }
  const rows = events.map((event) => [
    shortTime(event.at),
    event.version ?? "-",
    event.event,
    event.actor,
    // A failed rollback has both: why it was asked for, and what went wrong; a tenant's run says which tenant.
    [tenantOf(event), event.reason, typeof event.detail.error === "string" ? event.detail.error : undefined].filter(Boolean).join(": "),
  ]);
  io.stdout(table(rows, ["AT", "VERSION", "EVENT", "BY", "REASON"]));
}

export const historyCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, { limit: { type: "string" }, version: { type: "string" } }, async ({ values }) => {
      const limit = parseLimit(values.limit);
      const version = values.version === undefined ? undefined : parseVersion(values.version);
      const { environment } = configFor(values, io);
      const events = await getHistory(environment, { limit, version });
      if (values.json) printJson(io, { ok: true, environment: environment.name, events });
      else printHistory(io, environment.name, events);
      return EXIT.ok;
    }),
};
