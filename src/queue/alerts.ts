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
  const alerts: HealthAlert[] = decideAlerts(problems, posted, environment.alertRepeatHours, now).map(({ problem, state }) => {
    const previous = postedByKey.get(problem.key);
    return {
      key: problem.key,
      level: problem.level,
      state,
      version: problem.version,
      message: problem.message,
      since: previous && previous.level === problem.level ? previous.firstSeenAt : now,
      suggestedCommand: "suggestedCommand" in problem ? problem.suggestedCommand : null,
    };
  });
  const remember = async (alert: HealthAlert) => {
    if (alert.state === "resolved") await recordAlertResolved(controlPool, environment.name, alert.key, now);
    else {
      await recordAlertPosted(controlPool, {
        environment: environment.name,
        key: alert.key,
        level: alert.level,
        version: alert.version,
        message: alert.message,
        firstSeenAt: alert.since,
        lastPostedAt: now,
      });
    }
  };
  const sent: HealthAlert[] = [];
  // Alerts found together go out together (one message for a burst) where the notifier can.
  const batches = notifier.alerts && alerts.length > 0 ? [alerts] : alerts.map((alert) => [alert]);
  for (const batch of batches) {
    try {
      if (notifier.alerts) await notifier.alerts(environment, batch);
      else await notifier.alert(environment, batch[0]!);
    } catch (error) {
      logger.warn({ environment: environment.name, keys: batch.map((alert) => alert.key), err: describeError(error) }, "alert not posted; the next poll retries");
      continue;
    }
    for (const alert of batch) await remember(alert);
    sent.push(...batch);
  }
  return sent;
}
