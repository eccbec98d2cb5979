// Each proxy's load reports, per cluster, over a sliding time window. The figures for a version over
// any stretch of the window are made from it (pool.ts). Memory is bounded: entries older than the
// horizon are dropped, only clusters of the current configuration are recorded (a client cannot grow
// it with invented names), and only proxies with an ADS stream report at all (load-reporting.ts).

import type { ClusterLoad } from './lrs-messages.js';
import type { ProxyCounts } from './pool.js';

interface Series {
  /** Receive times (ms), oldest first, with the counts each report brought. */
  at: number[];
  requests: number[];
  failed: number[];
  /** In flight at the last report. */
  inFlight: number;
  /** Everything recorded since the series began: what a replica publishes for the others (fleet/report.ts). */
  totalRequests: number;
  totalFailed: number;
}

/** Drops the entries received at or before `oldest` from parallel lists, the first being the times, oldest first. */
export function dropOlder(oldest: number, at: number[], ...lists: unknown[][]): void {
  let drop = 0;
  while (drop < at.length && at[drop]! <= oldest) drop++;
  if (drop === 0) return;
  at.splice(0, drop);
  for (const list of lists) list.splice(0, drop);
}

/**
 * Per cluster and proxy series: clusters no longer served go, then each series is trimmed by `keep`
 * (false: it goes), and a cluster left without series goes.
 */
export function pruneClusters<S>(clusters: Map<string, Map<string, S>>, served: (cluster: string) => boolean, keep: (series: S) => boolean): void {
  for (const [cluster, proxies] of clusters) {
    if (!served(cluster)) {
      clusters.delete(cluster);
      continue;
    }
    for (const [proxy, series] of proxies) if (!keep(series)) proxies.delete(proxy);
    if (proxies.size === 0) clusters.delete(cluster);
  }
}

/** Longest window kept by default: the longest rollout check window (five minutes) and a margin. */
export const DEFAULT_HORIZON_MS = 330_000;

export class TrafficWindow {
  private readonly clusters = new Map<string, Map<string, Series>>();
  /** Moves with every change of what the window holds. */
  revision = 0;

  constructor(private readonly horizonMs = DEFAULT_HORIZON_MS) {}

  /** A proxy's counts for one cluster over its last report interval, received at `at`. */
  record(proxy: string, load: ClusterLoad, at: number): void {
    this.revision++;
    let proxies = this.clusters.get(load.cluster);
    if (!proxies) {
      if (load.succeeded === 0 && load.failed === 0 && load.inFlight === 0) return;
      this.clusters.set(load.cluster, (proxies = new Map()));
    }
    let series = proxies.get(proxy);
    // Envoy reports every cluster it has, mostly idle: a cluster with nothing to say makes no series.
    if (!series && load.succeeded === 0 && load.failed === 0 && load.inFlight === 0) return;
    if (!series) proxies.set(proxy, (series = { at: [], requests: [], failed: [], inFlight: 0, totalRequests: 0, totalFailed: 0 }));
    series.inFlight = load.inFlight;
    const failed = Math.min(load.failed, Number.MAX_SAFE_INTEGER);
    const requests = Math.min(load.succeeded + failed, Number.MAX_SAFE_INTEGER);
    if (requests === 0) return;
    series.totalRequests = Math.min(Number.MAX_SAFE_INTEGER, series.totalRequests + requests);
    series.totalFailed = Math.min(Number.MAX_SAFE_INTEGER, series.totalFailed + failed);
    series.at.push(at);
    series.requests.push(requests);
    series.failed.push(failed);
  }

  /** The proxy stopped reporting (its stream closed): it has nothing in flight any more. */
  gone(proxy: string): void {
    this.revision++;
    for (const proxies of this.clusters.values()) {
      const series = proxies.get(proxy);
      if (series) series.inFlight = 0;
    }
  }

  /**
   * Each proxy's counts for `cluster` received in (from, to], of the proxies `include` accepts
   * (those holding the routes the figures are for).
   */
  counts(cluster: string, from: number, to: number, include: (proxy: string) => boolean = () => true): ProxyCounts[] {
    const out: ProxyCounts[] = [];
    for (const [proxy, series] of this.clusters.get(cluster) ?? []) {
      if (!include(proxy)) continue;
      let requests = 0;
      let failed = 0;
      for (let i = series.at.length - 1; i >= 0 && series.at[i]! > from; i--) {
        if (series.at[i]! > to) continue;
        requests += series.requests[i]!;
        failed += series.failed[i]!;
      }
      if (requests > 0 || series.inFlight > 0) out.push({ proxy, requests, failed, inFlight: series.inFlight });
    }
    return out;
  }

  /** Each proxy's counts for `cluster` since its series began, of the proxies `include` accepts. */
  totals(cluster: string, include: (proxy: string) => boolean = () => true): ProxyCounts[] {
    const out: ProxyCounts[] = [];
    for (const [proxy, series] of this.clusters.get(cluster) ?? [])
      if (include(proxy)) out.push({ proxy, requests: series.totalRequests, failed: series.totalFailed, inFlight: series.inFlight });
    return out;
  }

  /** Drops what is older than the horizon, and clusters no longer served. */
  prune(now: number, served: (cluster: string) => boolean = () => true): void {
    // Pruning an empty window changes nothing: a fleet at rest moves no revision.
    if (this.clusters.size > 0) this.revision++;
    const oldest = now - this.horizonMs;
    pruneClusters(this.clusters, served, (series) => {
      dropOlder(oldest, series.at, series.requests, series.failed);
      return series.at.length > 0 || series.inFlight > 0;
    });
  }

  /** Entries held, for the memory bound's test and the metrics. */
  size(): number {
    let n = 0;
    for (const proxies of this.clusters.values()) for (const s of proxies.values()) n += s.at.length;
    return n;
  }
}
