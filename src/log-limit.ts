// A hostile or broken client can make the same log line thousands of times a second (5,000 requests
// for an unknown type, fifty 1 MiB NACKs). Lines are limited per key (a stream and a reason): a burst
// passes, then one line per interval, and the next line that passes says how many were dropped.

export interface LimitedLine {
  /** Whether to write the line now. */
  ok: boolean;
  /** Lines with this key dropped since the last one written. */
  suppressed: number;
}

export class LogLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; suppressed: number }>();

  constructor(
    private readonly burst = 5,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
    /** Keys remembered at most; the oldest are forgotten first. */
    private readonly maxKeys = 1000,
  ) {}

  take(key: string): LimitedLine {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
      bucket = { tokens: this.burst, at: now, suppressed: 0 };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) / this.intervalMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      bucket.suppressed++;
      return { ok: false, suppressed: bucket.suppressed };
    }
    bucket.tokens -= 1;
    const suppressed = bucket.suppressed;
    bucket.suppressed = 0;
    return { ok: true, suppressed };
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
