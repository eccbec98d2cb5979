// The traffic the other replicas' proxies report, from the replicas' fleet reports (fleet/report.ts).
// Each replica publishes running totals per host, cluster and proxy; here each new total becomes the
// increase since the last one read, recorded when it was read, in a window per host, so the figures
// (and the leader's rollout checks) count every proxy of the fleet, each as itself: the pooling rules
// (pool.ts) treat a remote proxy as any other. A total that went down is a replica that restarted: the
// new total is all new.

import type { FleetReport } from '../fleet/report.js';
import type { ProxyCounts } from './pool.js';
import { TrafficWindow } from './window.js';
import { LatencyWindow, type ProxyHistogram } from './latency.js';

export class RemoteTraffic {
  private readonly windows = new Map<string, TrafficWindow>();
  private readonly latencies = new Map<string, LatencyWindow>();
  /** The last latency totals read, by host, cluster and `replica/proxy`. */
  private readonly lastLatency = new Map<string, Map<number, number>>();
  /** The last totals read, by host, cluster and `replica/proxy`. */
  private readonly last = new Map<string, { requests: number; failed: number }>();
  /** Increases recorded so far: a rollout check needs new ones. */
  recorded = 0;

  ingest(reports: readonly FleetReport[], now: number): void {
    const seen = new Set<string>();
    for (const report of reports) {
      for (const entry of report.traffic) {
        let window = this.windows.get(entry.host);
        if (!window) this.windows.set(entry.host, (window = new TrafficWindow()));
        for (const [proxy, requests, failed, inFlight] of entry.proxies) {
          const id = `${report.replica}/${proxy}`;
          const key = `${entry.host}\u0000${entry.cluster}\u0000${id}`;
          seen.add(key);
          const before = this.last.get(key);
          this.last.set(key, { requests, failed });
          const restarted = before !== undefined && (requests < before.requests || failed < before.failed);
          // The first total read of a proxy is its history, not this interval's traffic: it sets the base.
          const added = before === undefined ? 0 : restarted ? requests : requests - before.requests;
          const addedFailed = before === undefined ? 0 : restarted ? failed : failed - before.failed;
          if (added > 0) this.recorded++;
          const ok = Math.max(0, added - addedFailed);
          window.record(
            id,
            {
              cluster: entry.cluster,
              serviceName: '',
              succeeded: ok,
              failed: Math.min(addedFailed, added),
              issued: added,
              inFlight,
              dropped: 0,
              intervalMs: 0,
            },
            now,
          );
        }
        for (const [proxy, bounds, counts] of entry.latency ?? []) {
          const id = `${report.replica}/${proxy}`;
          const key = `${entry.host}\u0000${entry.cluster}\u0000${id}`;
          seen.add(key);
          const before = this.lastLatency.get(key);
          const after = new Map(bounds.map((b, i) => [b, counts[i] ?? 0]));
          this.lastLatency.set(key, after);
          if (!before) continue;
          const restarted = bounds.some((b) => (after.get(b) ?? 0) < (before.get(b) ?? 0));
          const added = bounds.map((b) => (restarted ? (after.get(b) ?? 0) : (after.get(b) ?? 0) - (before.get(b) ?? 0)));
          const total = added.reduce((a, b) => a + b, 0);
          if (total === 0) continue;
          let latency = this.latencies.get(entry.host);
          if (!latency) this.latencies.set(entry.host, (latency = new LatencyWindow()));
          latency.record(id, { cluster: entry.cluster, bounds, counts: added, total }, now);
        }
      }
    }
    // A replica that is gone (its report expired) has nothing in flight any more.
    for (const key of [...this.last.keys()]) {
      if (seen.has(key)) continue;
      this.last.delete(key);
      const [host, , id] = key.split('\u0000') as [string, string, string];
      this.windows.get(host)?.gone(id);
    }
    for (const key of [...this.lastLatency.keys()]) if (!seen.has(key)) this.lastLatency.delete(key);
    for (const window of this.windows.values()) window.prune(now);
    for (const window of this.latencies.values()) window.prune(now);
  }

  /** The other replicas' proxies' request times of `cluster` for `host` over (from, to]. */
  histograms(host: string, cluster: string, from: number, to: number): ProxyHistogram[] {
    return this.latencies.get(host)?.histograms(cluster, from, to) ?? [];
  }

  /** The other replicas' proxies' counts of `cluster` for `host` over (from, to]. */
  counts(host: string, cluster: string, from: number, to: number): ProxyCounts[] {
    return this.windows.get(host)?.counts(cluster, from, to) ?? [];
  }
}
