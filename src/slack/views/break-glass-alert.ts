import { code, context, escapeMrkdwn, inertExcerpt, section, sections, userMention, type SlackMessage } from "./blocks.ts";

/** Posted to the environment's alert channel when an approver breaks glass: who, what, why, and what was set aside. */
export function breakGlassAlert(environment: string, version: string, userId: string, reason: string, bypassed: string[]): SlackMessage {
  const setAside = bypassed.length > 0 ? bypassed.join("; ") : "nothing (no rule applied at the time)";
  return {
    text: `Emergency rollback of ${version} on ${environment} by ${userId}: ${reason}`,
    blocks: [
      section(`:rotating_light: *Emergency rollback* of ${code(version)} on *${escapeMrkdwn(environment)}* by ${userMention(userId)}, running now`),
      ...sections(`*Reason:* ${escapeMrkdwn(reason)}`),
      context(`Set aside: ${inertExcerpt(setAside, 2500)}. Recorded as a policy_override in the history and the audit log.`),
    ],
  };
}
