import type pg from "pg";
import type { Environment } from "../config/index.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { openAlerts, recordAlertPosted, recordAlertResolved, type AlertState } from "../requests/index.ts";
import type { HealthProblem } from "./health-problems.ts";
import type { HealthAlert, Notifier } from "./notifier.ts";

export interface AlertDecision {
  problem: HealthProblem | AlertState;
  state: HealthAlert["state"];
}

/**
 * What to post, given the problems of this poll and what was posted before: a new problem (or a changed
 * level) once, an unresolved CRITICAL again after alertRepeatHours, a problem that cleared as resolved.
 */
export function decideAlerts(problems: HealthProblem[], posted: AlertState[], repeatHours: number, now: Date): AlertDecision[] {
  const postedByKey = new Map(posted.map((state) => [state.key, state]));
  const current = new Set(problems.map((problem) => problem.key));
  const decisions: AlertDecision[] = [];
  for (const problem of problems) {
    const previous = postedByKey.get(problem.key);
    if (!previous || previous.level !== problem.level) decisions.push({ problem, state: "new" });
    else if (problem.level === "CRITICAL" && now.getTime() - previous.lastPostedAt.getTime() >= repeatHours * 3_600_000) {
      decisions.push({ problem, state: "repeat" });
    }
  }
  for (const state of posted) if (!current.has(state.key)) decisions.push({ problem: state, state: "resolved" });
  return decisions;
}

/**
 * Posts the decisions through the notifier and remembers each one only once it was posted: when Slack is
 * down, the next poll tries again instead of forgetting.
 */
export async function postAlerts(
  controlPool: pg.Pool,
  notifier: Notifier,
  logger: Logger,
  environment: Environment,
  problems: HealthProblem[],
  now: Date = new Date(),
): Promise<HealthAlert[]> {
  const posted = await openAlerts(controlPool, environment.name);
  const postedByKey = new Map(posted.map((state) => [state.key, state]));
  const sent: HealthAlert[] = [];
  for (const { problem, state } of decideAlerts(problems, posted, environment.alertRepeatHours, now)) {
    const previous = postedByKey.get(problem.key);
    const since = previous && previous.level === problem.level ? previous.firstSeenAt : now;
    const alert: HealthAlert = {
      key: problem.key,
      level: problem.level,
      state,
      version: problem.version,
      message: problem.message,
      since,
      suggestedCommand: "suggestedCommand" in problem ? problem.suggestedCommand : null,
    };
    try {
      await notifier.alert(environment, alert);
    } catch (error) {
      logger.warn({ environment: environment.name, key: alert.key, err: describeError(error) }, "alert not posted; the next poll retries");
      continue;
    }
    if (state === "resolved") await recordAlertResolved(controlPool, environment.name, problem.key, now);
    else {
      await recordAlertPosted(controlPool, {
        environment: environment.name,
        key: problem.key,
        level: problem.level,
        version: problem.version,
        message: problem.message,
        firstSeenAt: since,
        lastPostedAt: now,
      });
    }
    sent.push(alert);
  }
  return sent;
}
