import { resumeTargetRuns, type ChangeRequest } from "../requests/index.ts";
import { dispatchOutbox, type DispatchDeps } from "./dispatcher.ts";

/**
 * A failed request across targets runs again after a fix (`rookery resume`, `/migrate resume`): the
 * databases that failed or never started are pending again, the applied ones are not run again, and the
 * request's old job makes way for a new one.
 */
export async function resumeRequest(deps: DispatchDeps, requestId: string): Promise<ChangeRequest> {
  const request = await resumeTargetRuns(deps.controlPool, requestId);
  const old = await deps.queue.getJob(requestId);
  if (old) await old.remove().catch(() => {});
  await dispatchOutbox(deps);
  return request;
}
