// Each version's live traffic per split group, from the proxies' load reports: requests/s, success
// rate, requests in flight (and p99 latency where the proxies report it). Pure: the window, who holds
// each host's current routes, and the time come in; figures go out for /debug/traffic, the dashboard,
// /metrics, `splitplane status` and the rollout checks.
//
// A version's figures are its cluster's (one Service port) as reported by the proxies that run the
// group's current routes. A Service that is a version of two groups has the same figures in both: the
// proxies count per cluster, not per route.

import type { GroupRollout } from '../fleet/rollout.js';
import { groupKey } from '../fleet/report.js';
import { pool, type PooledFigures, type ProxyCounts } from './pool.js';

/** Per-proxy counts of a cluster over (from, to], from the proxies holding the host's current routes. */
export type TrafficCounts = (host: string, cluster: string, from: number, to: number) => ProxyCounts[];

export interface VersionTraffic extends PooledFigures {
  service: string;
  cluster: string | null;
  basisPoints: number;
  /** Completed requests per second over the window, as reported. */
  requestsPerSecond: number;
  /** p99 upstream request time in milliseconds, where the proxies report it; else null. */
  p99Ms: number | null;
}

export interface GroupTraffic {
  key: string;
  ingress: string;
  host: string;
  path: string;
  pathType: string;
  windowSeconds: number;
  versions: VersionTraffic[];
}

/** How far back /debug/traffic and the dashboard look. */
export const SHOWN_WINDOW_MS = 30_000;

export function versionTraffic(backend: GroupRollout['backends'][number], host: string, source: TrafficCounts, from: number, to: number): VersionTraffic {
  const counts = backend.cluster === null ? [] : source(host, backend.cluster, from, to);
  const pooled = pool(counts);
  const seconds = Math.max(1, (to - from) / 1000);
  return {
    service: backend.service,
    cluster: backend.cluster,
    basisPoints: backend.basisPoints,
    ...pooled,
    requestsPerSecond: Math.round((pooled.reported / seconds) * 100) / 100,
    p99Ms: null,
  };
}

export function groupTraffic(groups: readonly GroupRollout[], source: TrafficCounts, now: number, windowMs = SHOWN_WINDOW_MS): GroupTraffic[] {
  return groups.map((g) => ({
    key: groupKey(g),
    ingress: g.ingress,
    host: g.host,
    path: g.path,
    pathType: g.pathType,
    windowSeconds: windowMs / 1000,
    versions: g.backends.map((b) => versionTraffic(b, g.host, source, now - windowMs, now)),
  }));
}

/** "new-nginx 12.5 req/s, 99.2% ok (of 250), 3 in flight": one version in words, for status and Events. */
export function trafficText(v: VersionTraffic): string {
  const rate = v.successRate === null ? 'no requests' : `${formatRate(v.successRate)} ok (of ${Math.round(v.counted)})`;
  const p99 = v.p99Ms === null ? '' : `, p99 ${Math.round(v.p99Ms)} ms`;
  return `${v.service} ${v.requestsPerSecond} req/s, ${rate}${p99}, ${v.inFlight} in flight`;
}

/** A success rate as a percentage with what precision it needs: 100%, 99.95%, 90.1%. */
export function formatRate(rate: number): string {
  const percent = rate * 100;
  if (percent === 100) return '100%';
  return `${Math.floor(percent * 100) / 100}%`;
}
