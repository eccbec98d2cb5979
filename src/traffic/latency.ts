// Request times per proxy and cluster, from the Metrics Service stat sink (metrics-messages.ts), over the
// same sliding window as the load reports, and the p99 of a version made from them. As for success rates
// (pool.ts), no single client decides: each proxy's timed requests are capped at twice the median proxy's,
// and from three proxies on the proxies with the highest and lowest p99 are left out before the
// histograms are merged. p99 is read from the merged histogram as Prometheus' histogram_quantile does:
// linear within the bucket it falls in.

import type { ClusterLatency } from './metrics-messages.js';
import { trimCount } from './pool.js';
import { dropOlder, pruneClusters } from './window.js';

/** One proxy's request times for one cluster over a window: counts per bucket upper bound (ms). */
export interface ProxyHistogram {
  proxy: string;
  counts: Map<number, number>;
  /** Above the last bound included. */
  total: number;
}

interface Series {
  at: number[];
  entries: ClusterLatency[];
  /** Every count recorded since the series began, by bound: what a replica publishes for the others. */
  totals: Map<number, number>;
}

export class LatencyWindow {
  private readonly clusters = new Map<string, Map<string, Series>>();
  /** Moves with every change of what the window holds. */
  revision = 0;

  constructor(private readonly horizonMs = 330_000) {}

  record(proxy: string, latency: ClusterLatency, at: number): void {
    this.revision++;
    if (latency.total === 0) return;
    let proxies = this.clusters.get(latency.cluster);
    if (!proxies) this.clusters.set(latency.cluster, (proxies = new Map()));
    let series = proxies.get(proxy);
    if (!series) proxies.set(proxy, (series = { at: [], entries: [], totals: new Map() }));
    latency.bounds.forEach((b, k) => series.totals.set(b, (series.totals.get(b) ?? 0) + (latency.counts[k] ?? 0)));
    series.at.push(at);
    series.entries.push(latency);
  }

  histograms(cluster: string, from: number, to: number, include: (proxy: string) => boolean = () => true): ProxyHistogram[] {
    const out: ProxyHistogram[] = [];
    for (const [proxy, series] of this.clusters.get(cluster) ?? []) {
      if (!include(proxy)) continue;
      const counts = new Map<number, number>();
      let total = 0;
      for (let i = series.at.length - 1; i >= 0 && series.at[i]! > from; i--) {
        if (series.at[i]! > to) continue;
        const e = series.entries[i]!;
        e.bounds.forEach((b, k) => counts.set(b, (counts.get(b) ?? 0) + (e.counts[k] ?? 0)));
        total += e.total;
      }
      if (total > 0) out.push({ proxy, counts, total });
    }
    return out;
  }

  /** Each proxy's counts by bound since its series began, of the proxies `include` accepts. */
  totals(cluster: string, include: (proxy: string) => boolean = () => true): Array<{ proxy: string; totals: ReadonlyMap<number, number> }> {
    const out: Array<{ proxy: string; totals: ReadonlyMap<number, number> }> = [];
    for (const [proxy, series] of this.clusters.get(cluster) ?? []) if (include(proxy)) out.push({ proxy, totals: series.totals });
    return out;
  }

  /** Drops what is older than the horizon, and clusters no longer served. */
  prune(now: number, served: (cluster: string) => boolean = () => true): void {
    // Pruning an empty window changes nothing: a fleet at rest moves no revision.
    if (this.clusters.size > 0) this.revision++;
    const oldest = now - this.horizonMs;
    pruneClusters(this.clusters, served, (series) => {
      dropOlder(oldest, series.at, series.entries);
      return series.at.length > 0;
    });
  }
}

/** The q-quantile of one histogram (ms), linear within its bucket; the last finite bound when it falls above. */
export function quantile(counts: ReadonlyMap<number, number>, total: number, q: number): number | null {
  if (total <= 0) return null;
  const bounds = [...counts.keys()].sort((a, b) => a - b);
  const rank = q * total;
  let below = 0;
  let lower = 0;
  for (const bound of bounds) {
    const n = counts.get(bound) ?? 0;
    if (below + n >= rank && n > 0) return lower + ((bound - lower) * (rank - below)) / n;
    below += n;
    lower = bound;
  }
  return bounds.length > 0 ? bounds[bounds.length - 1]! : null;
}

/** The p99 of a version over its proxies' histograms, with no single proxy deciding. */
export function pooledP99(histograms: readonly ProxyHistogram[]): number | null {
  if (histograms.length === 0) return null;
  const sizes = histograms.map((h) => h.total).sort((a, b) => a - b);
  const cap = histograms.length === 1 ? Infinity : 2 * sizes[Math.floor((sizes.length - 1) / 2)]!;
  const weighed = histograms.map((h) => {
    const scale = Math.min(1, cap / h.total);
    return { proxy: h.proxy, h, scale, p99: quantile(h.counts, h.total, 0.99) ?? 0 };
  });
  const t = trimCount(weighed.length);
  weighed.sort((a, b) => a.p99 - b.p99 || (a.proxy < b.proxy ? -1 : a.proxy > b.proxy ? 1 : 0));
  const merged = new Map<number, number>();
  let total = 0;
  for (const { h, scale } of weighed.slice(t, weighed.length - t)) {
    for (const [bound, n] of h.counts) merged.set(bound, (merged.get(bound) ?? 0) + n * scale);
    total += h.total * scale;
  }
  return quantile(merged, total, 0.99);
}
