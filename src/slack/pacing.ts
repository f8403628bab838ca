/**
 * Rate awareness on Rookery's side of the wire. Slack allows about one chat.postMessage a second per
 * channel (short bursts pass) and Tier 3 for chat.update; the Web API client waits out a 429's
 * Retry-After by itself, and these keep Rookery from provoking one in the first place.
 */

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Posts to one channel go out one after another, at most `burst` at once and then one every
 * `everyMs`. Different channels do not wait for each other.
 */
export function channelPacer(options: { burst?: number; everyMs?: number } = {}) {
  const burst = options.burst ?? 3;
  const everyMs = options.everyMs ?? 1000;
  const channels = new Map<string, { tail: Promise<unknown>; tokens: number; at: number }>();
  return function paced<T>(channel: string, send: () => Promise<T>): Promise<T> {
    const state = channels.get(channel) ?? { tail: Promise.resolve(), tokens: burst, at: Date.now() };
    channels.set(channel, state);
    const run = state.tail
      .catch(() => {})
      .then(async () => {
        const now = Date.now();
        state.tokens = Math.min(burst, state.tokens + (now - state.at) / everyMs);
        state.at = now;
        if (state.tokens < 1) {
          await sleep((1 - state.tokens) * everyMs);
          state.tokens = 1;
          state.at = Date.now();
        }
        state.tokens -= 1;
        return send();
      });
    state.tail = run;
    return run;
  };
}

/**
 * Coalesces renders of one thing (a request's message): `soon()` asks for a render and returns at
 * once; renders run one at a time, at most one every `everyMs`, each one showing the latest state,
 * so a burst of progress becomes one chat.update. `now()` renders once more (the final state) after
 * whatever is in flight, respecting the same spacing, and resolves when it is done.
 */
export class Coalescer {
  private lastAt = 0;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wanted = false;

  constructor(
    private readonly render: () => Promise<void>,
    private readonly everyMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  soon(): void {
    this.wanted = true;
    if (this.running || this.timer) return;
    const wait = this.lastAt + this.everyMs - Date.now();
    if (wait <= 0) void this.run();
    else this.timer = setTimeout(() => void this.run(), wait);
  }

  async now(): Promise<void> {
    this.cancelTimer();
    while (this.running) {
      await this.running;
      this.cancelTimer();
    }
    const wait = this.lastAt + this.everyMs - Date.now();
    if (wait > 0) await sleep(wait);
    this.cancelTimer();
    this.wanted = true;
    await this.run();
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** True while a render is due or running. */
  get busy(): boolean {
    return this.running !== undefined || this.timer !== undefined;
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (!this.wanted) return;
    this.wanted = false;
    this.lastAt = Date.now();
    this.running = this.render().catch(this.onError);
    try {
      await this.running;
    } finally {
      this.running = undefined;
      this.lastAt = Date.now();
    }
    if (this.wanted) this.soon();
  }
}
