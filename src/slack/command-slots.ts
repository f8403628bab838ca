/**
 * At most `size` acknowledged commands do their slow work (database, Redis, Slack calls) at once; the
 * rest wait their turn. A burst of fifty `/migrate status` then costs a handful of connections instead
 * of fifty, and the acknowledgements of commands still arriving are not starved by the work of those
 * already acknowledged. Work starts on a later turn of the event loop, after pending requests were read.
 */
export function commandSlots(size: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    running -= 1;
    waiting.shift()?.();
  };
  return async (work) => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await work();
    } finally {
      release();
    }
  };
}
