/** Resolves with the first SIGTERM or SIGINT, then stops listening, so a second signal has Node's default effect. */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      resolve(signal);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}

/**
 * Runs an orderly stop, waiting for it at most `graceMs`: an orchestrator kills a process that takes longer,
 * maybe mid-job. True when it finished in time; false when it failed or the grace ran out (the caller then
 * drops what is left, and running jobs go to another worker's stalled-job recovery).
 */
export async function stopWithin(graceMs: number, stop: () => Promise<unknown>, onFailure: (error: unknown) => void): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
  });
  const stopped = stop().then(
    () => true,
    (error: unknown) => {
      onFailure(error);
      return false;
    },
  );
  try {
    return await Promise.race([stopped, grace]);
  } finally {
    clearTimeout(timer);
  }
}
