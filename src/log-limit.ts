// A hostile or broken client can make the same log line thousands of times a second (5,000 requests
// for an unknown type, fifty 1 MiB NACKs). Lines are limited per key (a stream and a reason): a burst
// passes, then one line per interval, and the next line that passes says how many were dropped.

export interface LimitedLine {
  /** Whether to write the line now. */
  ok: boolean;
  /** Lines with this key dropped since the last one written. */
  suppressed: number;
}

/**
 * One key's budget: `burst` at once, then one per `intervalMs`. Held by what it limits (a stream keeps
 * its own), so thousands of streams are not a shared map to look up, evict and sweep on every close.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;
  private suppressed = 0;

  constructor(
    private readonly burst = 5,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.at = now();
  }

  take(): LimitedLine {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.at) / this.intervalMs);
    this.at = now;
    if (this.tokens < 1) {
      this.suppressed++;
      return { ok: false, suppressed: this.suppressed };
    }
    this.tokens -= 1;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    return { ok: true, suppressed };
  }
}

export class LogLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly burst = 5,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
    /** Keys remembered at most; the oldest are forgotten first. */
    private readonly maxKeys = 1000,
  ) {}

  take(key: string): LimitedLine {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
      bucket = new TokenBucket(this.burst, this.intervalMs, this.now);
      this.buckets.set(key, bucket);
    }
    return bucket.take();
  }

  /** Forgets every key starting with `prefix` (a stream that closed). */
  forget(prefix: string): void {
    for (const key of this.buckets.keys()) if (key.startsWith(prefix)) this.buckets.delete(key);
  }
}

/** Text from a client, cut to a length that is safe to log, show and keep. */
export function truncate(text: string, max = 1024): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
