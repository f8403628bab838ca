/**
 * At most `size` acknowledged commands start their slow work (database, Redis, Slack calls) at once;
 * the rest wait their turn. A burst of fifty `/migrate status` then costs a handful of connections
 * instead of fifty, and the acknowledgements of commands still arriving are not starved by the work of
 * those already acknowledged. Work starts on a later turn of the event loop, after pending requests
 * were read. A long command (a rehearsal) gives its slot back after `maxHoldMs` and goes on outside
 * it, so it never holds up everyone else's answers.
 */
export function commandSlots(size: number, maxHoldMs = 2000): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    const result = work();
    let timer: NodeJS.Timeout | undefined;
    const held = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, maxHoldMs);
    });
    const settled = result.then(
      () => {},
      () => {},
    );
    await Promise.race([settled, held]);
    clearTimeout(timer);
    running -= 1;
    waiting.shift()?.();
    return result;
  };
}
