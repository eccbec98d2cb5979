// What every report stream on the xDS port (load reports, stat flushes) shares, as docs/safety.md says:
// streams per peer address are limited like ADS streams; a report is heard only from a client with an
// ADS stream of the same node id from the same address; one report per proxy per least interval is
// taken, however many streams the proxy opens. The unheard are counted and logged, limited.

import type { Logger } from '../log.js';
import { LogLimiter, truncate } from '../log-limit.js';

export interface GateOptions {
  maxStreamsPerPeer: number;
  /** Whether an ADS stream of this node id is open from this address. */
  connected(nodeId: string, address: string): boolean;
  now: () => number;
}

export type Verdict = 'taken' | 'no-ads-stream' | 'too-often';

/** Proxies remembered for the too-often rule at most; the oldest are forgotten first. */
const REMEMBERED = 100_000;

export class ReportGate {
  private readonly perPeer = new Map<string, number>();
  private readonly lastTaken = new Map<string, number>();
  private readonly limiter = new LogLimiter();

  constructor(
    private readonly options: GateOptions,
    private readonly log: Logger,
    /** What a report is called in the log line ("load report", "stat flush"). */
    private readonly what: string,
  ) {}

  /** A new stream from `address`: the reason it is refused, or undefined when it may open. */
  opened(address: string): string | undefined {
    const held = this.perPeer.get(address) ?? 0;
    if (held >= this.options.maxStreamsPerPeer) return `${held} ${this.what} streams are open from ${address}, the most one peer may hold`;
    this.perPeer.set(address, held + 1);
    return undefined;
  }

  closed(address: string): void {
    const left = (this.perPeer.get(address) ?? 1) - 1;
    if (left > 0) this.perPeer.set(address, left);
    else this.perPeer.delete(address);
  }

  /** Whether a report of `nodeId` from `address` is heard now, at most one per `minMs` per proxy. */
  judge(nodeId: string, address: string, minMs: number): Verdict {
    if (!this.options.connected(nodeId, address)) {
      const line = this.limiter.take(`orphan:${address}`);
      if (line.ok)
        this.log.warn(`${this.what} ignored: no ADS stream of this node from this address`, {
          node: truncate(nodeId, 128),
          address,
          suppressedSinceLast: line.suppressed,
        });
      return 'no-ads-stream';
    }
    const proxy = `${nodeId}@${address}`;
    const now = this.options.now();
    const last = this.lastTaken.get(proxy);
    if (last !== undefined && now - last < minMs) return 'too-often';
    this.lastTaken.delete(proxy);
    this.lastTaken.set(proxy, now);
    if (this.lastTaken.size > REMEMBERED) this.lastTaken.delete(this.lastTaken.keys().next().value as string);
    return 'taken';
  }
}
