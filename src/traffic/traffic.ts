// Live traffic per version, for one replica: the load reports its proxies send (load-reporting.ts),
// kept in a window (window.ts), and the figures made from them for the views, the metrics and the
// rollout checks (figures.ts, pool.ts). Only reports from proxies holding a host's current routes
// count for that host's groups (fleet/rollout.ts routeHolders).

import type { GroupRollout, HoldingClient } from '../fleet/rollout.js';
import { routeHolders } from '../fleet/rollout.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { WindowFigures } from '../rollout/machine.js';
import { CLUSTER_TYPE } from '../proto/type-urls.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { groupTraffic, type GroupTraffic, type TrafficCounts } from './figures.js';
import { RemoteTraffic } from './remote.js';
import { REPORTED_LATENCY_PROXIES, REPORTED_TRAFFIC_PROXIES, type FleetReport, type HostTraffic } from '../fleet/report.js';
import { pushAll } from '../lists.js';
import { LoadReporting, loadReportingDefinition } from './load-reporting.js';
import { pool, type ProxyCounts } from './pool.js';
import { TrafficWindow } from './window.js';
import { LatencyWindow, pooledP99, type ProxyHistogram } from './latency.js';
import { MetricsSink, metricsServiceDefinition } from './metrics-service.js';

/** Who holds each host's current routes (fleet/rollout.ts routeHolders). */
type Holders = (host: string) => ReadonlySet<string>;

export interface TrafficOptions {
  intervalMs: number;
  /** Load reports per second across the fleet (load-reporting.ts). */
  maxReportsPerSecond?: number;
  maxStreamsPerPeer: number;
  /** The connected ADS clients, with their addresses. */
  clients(): HoldingClient[];
  /** Whether an ADS stream of this node id is open from this address. */
  connected(nodeId: string, address: string): boolean;
  snapshot(): Snapshot | undefined;
  now?: () => number;
}

export class Traffic {
  readonly window = new TrafficWindow();
  readonly latency = new LatencyWindow();
  private readonly remote = new RemoteTraffic();
  readonly metricsSink: MetricsSink;
  readonly metricsDefinition = metricsServiceDefinition;
  readonly reporting: LoadReporting;
  readonly definition = loadReportingDefinition;
  private taken = 0;
  private readonly now: () => number;
  private readonly gauges: {
    rps: (v: number, l: Record<string, string>) => void;
    success: (v: number, l: Record<string, string>) => void;
    inFlight: (v: number, l: Record<string, string>) => void;
  };

  constructor(
    private readonly options: TrafficOptions,
    log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.now = options.now ?? Date.now;
    const window = this.window;
    this.reporting = new LoadReporting(
      {
        intervalMs: options.intervalMs,
        maxReportsPerSecond: options.maxReportsPerSecond,
        maxStreamsPerPeer: options.maxStreamsPerPeer,
        sink: {
          record: (proxy, load, at) => {
            this.taken++;
            window.record(proxy, load, at);
          },
          gone: (proxy) => window.gone(proxy),
        },
        served: (cluster) => options.snapshot()?.type(CLUSTER_TYPE).resources.has(cluster) ?? false,
        connected: (node, address) => options.connected(node, address),
        now: this.now,
      },
      log,
      metrics,
    );
    this.metricsSink = new MetricsSink(
      {
        window: this.latency,
        served: (cluster) => options.snapshot()?.type(CLUSTER_TYPE).resources.has(cluster) ?? false,
        connected: (node, address) => options.connected(node, address),
        maxStreamsPerPeer: options.maxStreamsPerPeer,
        now: this.now,
      },
      log,
      metrics,
    );
    const labels = ['ingress', 'host', 'path', 'version'];
    this.gauges = {
      rps: metrics.gauge(
        'splitplane_version_requests_per_second',
        'Completed requests per second to each version of a split, over the last 30 s, from the proxies\u2019 load reports.',
        labels,
      ),
      success: metrics.gauge(
        'splitplane_version_success_ratio',
        'Share of requests to each version that did not fail (Envoy: not 5xx), over the last 30 s; absent without requests.',
        labels,
      ),
      inFlight: metrics.gauge('splitplane_version_requests_in_flight', 'Requests in flight to each version at the proxies\u2019 last reports.', labels),
    };
  }

  /** Moves with every change of this replica's own figures (what it publishes for the others). */
  get revision(): number {
    return this.window.revision + this.latency.revision;
  }

  /** Load reports taken here and increases read from the other replicas: a rollout check needs new ones. */
  reportsTaken(): number {
    return this.taken + this.remote.recorded + this.metricsSink.taken;
  }

  /**
   * Counts per proxy of one cluster for one host over (from, to]: this replica's proxies that hold the
   * host's current routes, and the other replicas' (which publish only theirs that do).
   */
  private source(holders: Holders): TrafficCounts {
    return (host, cluster, from, to) => {
      const mine = holders(host);
      const local = this.window.counts(cluster, from, to, (p) => mine.has(p));
      const remote = this.remote.counts(host, cluster, from, to);
      if (remote.length === 0) return local;
      pushAll(local, remote);
      return local;
    };
  }

  /** The figures of some clusters together over (from, to], from the proxies holding the host's routes. */
  figures(host: string, clusters: readonly string[], from: number, to: number): WindowFigures {
    const holders = this.holders();
    const source = this.source(holders);
    const byProxy = new Map<string, ProxyCounts>();
    for (const cluster of clusters) {
      for (const c of source(host, cluster, from, to)) {
        const sum = byProxy.get(c.proxy);
        if (sum) {
          sum.requests += c.requests;
          sum.failed += c.failed;
          sum.inFlight += c.inFlight;
        } else byProxy.set(c.proxy, { ...c });
      }
    }
    const pooled = pool([...byProxy.values()]);
    return { considered: pooled.considered, counted: pooled.counted, successRate: pooled.successRate, p99Ms: this.p99(holders, host, clusters, from, to) };
  }

  /**
   * Who holds each host's current routes, worked out once per question and then per host on demand:
   * a look at every connected client, not to be repeated per version or per cluster.
   */
  private holders(): Holders {
    return routeHolders(this.options.snapshot(), this.options.clients());
  }

  /** The p99 request time of some clusters together over (from, to], from the proxies holding the host's routes. */
  private p99(holders: Holders, host: string, clusters: readonly string[], from: number, to: number): number | null {
    const mine = holders(host);
    const byProxy = new Map<string, ProxyHistogram>();
    for (const cluster of clusters) {
      const local = this.latency.histograms(cluster, from, to, (p) => mine.has(p));
      pushAll(local, this.remote.histograms(host, cluster, from, to));
      for (const h of local) {
        const sum = byProxy.get(h.proxy);
        if (!sum) byProxy.set(h.proxy, { proxy: h.proxy, counts: new Map(h.counts), total: h.total });
        else {
          for (const [bound, n] of h.counts) sum.counts.set(bound, (sum.counts.get(bound) ?? 0) + n);
          sum.total += h.total;
        }
      }
    }
    return pooledP99([...byProxy.values()]);
  }

  /** Every group's versions' figures over the last `windowMs` (30 s by default). */
  groups(groups: readonly GroupRollout[], windowMs?: number): GroupTraffic[] {
    const now = this.now();
    const holders = this.holders();
    const out = groupTraffic(groups, this.source(holders), now, windowMs);
    for (const g of out)
      for (const v of g.versions) if (v.cluster !== null) v.p99Ms = this.p99(holders, g.host, [v.cluster], now - g.windowSeconds * 1000, now);
    return out;
  }

  /** The other replicas' reports, read again: their new totals go into the figures. */
  joinRemote(reports: readonly FleetReport[]): void {
    this.remote.ingest(reports, this.now());
  }

  /**
   * What this replica publishes for the others: per host of `groups` and cluster, the running totals of
   * each proxy holding the host's current routes (the largest first, the rest summed as one).
   */
  published(groups: readonly GroupRollout[]): HostTraffic[] {
    const holders = this.holders();
    const out: HostTraffic[] = [];
    const done = new Set<string>();
    for (const g of groups) {
      for (const b of g.backends) {
        if (b.cluster === null || done.has(`${g.host}\u0000${b.cluster}`)) continue;
        done.add(`${g.host}\u0000${b.cluster}`);
        const mine = holders(g.host);
        const totals = this.window.totals(b.cluster, (p) => mine.has(p)).sort((x, y) => y.requests - x.requests);
        if (totals.length === 0) continue;
        const listed = totals.slice(0, REPORTED_TRAFFIC_PROXIES).map((t): [string, number, number, number] => [t.proxy, t.requests, t.failed, t.inFlight]);
        const rest = totals.slice(REPORTED_TRAFFIC_PROXIES);
        if (rest.length > 0)
          listed.push(['(others)', rest.reduce((n, t) => n + t.requests, 0), rest.reduce((n, t) => n + t.failed, 0), rest.reduce((n, t) => n + t.inFlight, 0)]);
        const entry: HostTraffic = { host: g.host, cluster: b.cluster, proxies: listed };
        const latency = this.latency
          .totals(b.cluster, (p) => mine.has(p))
          .map((t) => ({ proxy: t.proxy, totals: t.totals, n: [...t.totals.values()].reduce((x, y) => x + y, 0) }))
          .sort((x, y) => y.n - x.n)
          .slice(0, REPORTED_LATENCY_PROXIES);
        if (latency.length > 0) entry.latency = latency.map((l): [string, number[], number[]] => [l.proxy, [...l.totals.keys()], [...l.totals.values()]]);
        out.push(entry);
      }
    }
    return out;
  }

  /** Drops reports older than the window keeps. */
  prune(): void {
    const served = (cluster: string) => this.options.snapshot()?.type(CLUSTER_TYPE).resources.has(cluster) ?? false;
    this.window.prune(this.now(), served);
    this.latency.prune(this.now(), served);
  }

  /** Sets the per-version gauges from the figures of now (before a scrape). */
  setGauges(groups: readonly GroupRollout[]): void {
    const traffic = this.groups(groups);
    for (const name of ['splitplane_version_requests_per_second', 'splitplane_version_success_ratio', 'splitplane_version_requests_in_flight'])
      this.metrics.resetGauge(name);
    for (const g of traffic) {
      for (const v of g.versions) {
        const labels = { ingress: g.ingress, host: g.host, path: g.path, version: v.service };
        this.gauges.rps(v.requestsPerSecond, labels);
        this.gauges.inFlight(v.inFlight, labels);
        if (v.successRate !== null) this.gauges.success(v.successRate, labels);
      }
    }
  }

  close(): void {
    this.reporting.close();
    this.metricsSink.close();
  }
}
