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
import { groupTraffic, type GroupTraffic } from './figures.js';
import { LoadReporting, loadReportingDefinition } from './load-reporting.js';
import { pool, type ProxyCounts } from './pool.js';
import { TrafficWindow } from './window.js';

export interface TrafficOptions {
  intervalMs: number;
  maxStreamsPerPeer: number;
  /** The connected ADS clients, with their addresses. */
  clients(): HoldingClient[];
  snapshot(): Snapshot | undefined;
  now?: () => number;
}

export class Traffic {
  readonly window = new TrafficWindow();
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
        maxStreamsPerPeer: options.maxStreamsPerPeer,
        sink: {
          record: (proxy, load, at) => {
            this.taken++;
            window.record(proxy, load, at);
          },
          gone: (proxy) => window.gone(proxy),
        },
        served: (cluster) => options.snapshot()?.type(CLUSTER_TYPE).resources.has(cluster) ?? false,
        connected: (node, address) => options.clients().some((c) => c.address === address && c.stream.node?.id === node),
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

  /** Load report batches taken (cluster entries recorded): a rollout check needs new ones. */
  reportsTaken(): number {
    return this.taken;
  }

  /** The figures of some clusters together over (from, to], from the proxies holding the host's routes. */
  figures(host: string, clusters: readonly string[], from: number, to: number): WindowFigures {
    const holders = routeHolders(this.options.snapshot(), this.options.clients())(host);
    const byProxy = new Map<string, ProxyCounts>();
    for (const cluster of clusters) {
      for (const c of this.window.counts(cluster, from, to, (p) => holders.has(p))) {
        const sum = byProxy.get(c.proxy);
        if (sum) {
          sum.requests += c.requests;
          sum.failed += c.failed;
          sum.inFlight += c.inFlight;
        } else byProxy.set(c.proxy, { ...c });
      }
    }
    const pooled = pool([...byProxy.values()]);
    return { considered: pooled.considered, counted: pooled.counted, successRate: pooled.successRate, p99Ms: null };
  }

  /** Every group's versions' figures over the last `windowMs` (30 s by default). */
  groups(groups: readonly GroupRollout[], windowMs?: number): GroupTraffic[] {
    return groupTraffic(groups, this.window, routeHolders(this.options.snapshot(), this.options.clients()), this.now(), windowMs);
  }

  /** Drops reports older than the window keeps. */
  prune(): void {
    this.window.prune(this.now(), (cluster) => this.options.snapshot()?.type(CLUSTER_TYPE).resources.has(cluster) ?? false);
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
  }
}
