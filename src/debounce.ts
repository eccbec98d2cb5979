// The rebuild loop's timing: a burst of input changes becomes one rebuild. Each change pushes the
// rebuild `holdoffMs` later, but never more than `maxMs` after the first change, so a steady stream
// of changes (an informer resync, a deploy touching many files) cannot starve the rebuild.
// With `leading`, a change after a quiet holdoff is built at once (on the next turn of the event loop,
// with whatever else arrived in the same turn): an object from the API server arrives whole, and the
// file source reads a file only once its writes have paused, so there is nothing more to wait for.
// The rest of a burst is one more rebuild, `holdoffMs` after its last change and never later than
// `maxMs` after its first.

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Runs `fn` once the events at hand are handled, before any timer (setImmediate); a timeout of 0 when
   * absent. A timeout of 0 is at least a millisecond, and waits for the next turn's timers.
   */
  soon?(fn: () => void): unknown;
  clearSoon?(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  soon: (fn) => setImmediate(fn),
  clearSoon: (h) => clearImmediate(h as NodeJS.Immediate),
};

export class Debouncer {
  private firstAt: number | undefined;
  private handle: unknown;
  private leadingPending = false;
  private lastRunAt = -Infinity;

  constructor(
    private readonly run: () => void,
    private readonly holdoffMs = 50,
    private readonly maxMs = 500,
    private readonly timers: Timers = realTimers,
    private readonly leading = false,
  ) {}

  trigger(): void {
    const now = this.timers.now();
    if (this.leadingPending) return; // the rebuild about to run reads this change too
    if (this.leading && this.handle === undefined && now - this.lastRunAt >= this.holdoffMs) {
      this.leadingPending = true;
      // Built as soon as the events at hand are read: a change that arrives with others in one turn
      // is still one build, and the first stream has its bytes a timer's turn sooner.
      const soon = this.timers.soon;
      this.handle = soon ? { soon: soon(() => this.fire()) } : this.timers.setTimeout(() => this.fire(), 0);
      return;
    }
    this.firstAt ??= now;
    if (this.handle !== undefined) this.clear(this.handle);
    const at = Math.min(now + this.holdoffMs, this.firstAt + this.maxMs);
    this.handle = this.timers.setTimeout(() => this.fire(), Math.max(0, at - now));
  }

  /** Runs a pending rebuild now (used on shutdown and by tests). */
  flush(): void {
    if (this.handle === undefined) return;
    this.clear(this.handle);
    this.fire();
  }

  cancel(): void {
    if (this.handle !== undefined) this.clear(this.handle);
    this.handle = undefined;
    this.firstAt = undefined;
    this.leadingPending = false;
  }

  get pending(): boolean {
    return this.handle !== undefined;
  }

  private clear(handle: unknown): void {
    if (typeof handle === 'object' && handle !== null && 'soon' in handle) this.timers.clearSoon?.((handle as { soon: unknown }).soon);
    else this.timers.clearTimeout(handle);
  }

  private fire(): void {
    this.handle = undefined;
    this.firstAt = undefined;
    this.leadingPending = false;
    this.lastRunAt = this.timers.now();
    this.run();
  }
}
