import type { MigrationAnalysis } from "../../analysis/index.ts";
import type { PlanStep } from "../../runner/types.ts";
import { code, context, escapeMrkdwn, inertExcerpt, section, shortChecksum, type SlackMessage } from "./blocks.ts";
import { findingLines } from "./findings.ts";

export interface PlannedMigration {
  step: PlanStep;
  analysis: MigrationAnalysis;
}

/** At most this many migrations in one answer; the rest is counted. */
const MAX_SHOWN = 12;

export function planMessage(environment: string, planned: PlannedMigration[]): SlackMessage {
  if (planned.length === 0) {
    return { text: `${environment}: nothing pending`, blocks: [section(`*${escapeMrkdwn(environment)}* — nothing pending.`)] };
  }
  const shown = planned.slice(0, MAX_SHOWN);
  return {
    text: `${environment}: ${planned.length} pending`,
    blocks: [
      section(`*${escapeMrkdwn(environment)}* — ${planned.length} pending, in this order:`),
      ...shown.map(({ step, analysis }) =>
        section(
          [
            // Cut as on the request message: a long description would push the lines below out of the section.
            `${code(step.version)} ${inertExcerpt(step.description, 300)}${step.reapply ? " _(re-apply)_" : ""}`,
            `*${analysis.type}* · checksum ${code(shortChecksum(step.checksum))} · ${step.hasRollback ? "rollback file present" : "*no rollback file*"}${step.outsideTransaction ? " · runs outside a transaction" : ""}`,
            ...findingLines(analysis),
          ].join("\n"),
        ),
      ),
      ...(planned.length > shown.length ? [context(`… and ${planned.length - shown.length} more`)] : []),
      context(`Apply with \`/migrate apply all ${escapeMrkdwn(environment)}\` or one version at a time.`),
    ],
  };
}
