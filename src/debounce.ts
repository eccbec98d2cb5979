// The rebuild loop's timing: a burst of input changes becomes one rebuild. Each change pushes the
// rebuild `holdoffMs` later, but never more than `maxMs` after the first change, so a steady stream
// of changes (an informer resync, a deploy touching many files) cannot starve the rebuild.

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class Debouncer {
  private firstAt: number | undefined;
  private handle: unknown;

  constructor(
    private readonly run: () => void,
    private readonly holdoffMs = 50,
    private readonly maxMs = 500,
    private readonly timers: Timers = realTimers,
  ) {}

  trigger(): void {
    const now = this.timers.now();
    this.firstAt ??= now;
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    const at = Math.min(now + this.holdoffMs, this.firstAt + this.maxMs);
    this.handle = this.timers.setTimeout(() => this.fire(), Math.max(0, at - now));
  }

  /** Runs a pending rebuild now (used on shutdown and by tests). */
  flush(): void {
    if (this.handle === undefined) return;
    this.timers.clearTimeout(this.handle);
    this.fire();
  }

  cancel(): void {
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.handle = undefined;
    this.firstAt = undefined;
  }

  get pending(): boolean {
    return this.handle !== undefined;
  }

  private fire(): void {
    this.handle = undefined;
    this.firstAt = undefined;
    this.run();
  }
}
