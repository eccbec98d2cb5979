// Fleet truth across replicas. Each replica knows only the proxies connected to it; it publishes a small
// report of what they run (kube/fleet-reports.ts), and every replica joins the reports of the others with
// its own, so /debug/rollout, /debug/clients, the dashboard, `splitplane status` and the leader's rollout
// Events count the whole fleet ("applied to 12 of 12 connected proxies, on 2 replicas"). Pure.
//
// The report carries, per split group, how many of the replica's proxies run the group's current
// weights, and per proxy its sync state and last NACK (the worst first, a bounded number, with counts by
// state for the rest), and the traffic its proxies reported (traffic/remote.ts joins it for the checks).

import type { ClientStatus, SyncState } from '../xds/client-status.js';
import type { GroupRollout } from './rollout.js';

/** Proxies listed by name in a report; the rest are counted by state. */
export const REPORTED_PROXIES = 200;

export interface FleetReport {
  /** The replica that wrote it (its Lease identity). */
  replica: string;
  /**
   * Per split group: its weights, the route resource versions carrying them on this replica (the whole
   * configuration, the host's VHDS resource, gRPC's), and how many of its proxies run them of how many take routes.
   */
  groups: Array<{ key: string; weights: string; versions: GroupRollout['versions']; applied: number; connected: number }>;
  proxies: { total: number; byState: Record<SyncState, number>; listed: ClientStatus[] };
  /**
   * Per host and cluster, the requests each of its proxies holding the host's routes reported since it
   * began: [proxy, requests, failed, in flight]. Running totals, so a reader that misses a report loses
   * nothing; at most REPORTED_TRAFFIC_PROXIES per entry, the rest summed as one.
   */
  traffic: HostTraffic[];
}

export interface HostTraffic {
  host: string;
  cluster: string;
  proxies: Array<[proxy: string, requests: number, failed: number, inFlight: number]>;
  /** Request times of the proxies that report them (Envoy), running totals per bucket: [proxy, bounds, counts]. */
  latency?: Array<[proxy: string, bounds: number[], counts: number[]]>;
}

/** Proxies whose request-time histograms are published per host and cluster (the busiest). */
export const REPORTED_LATENCY_PROXIES = 20;

/** Proxies listed per host and cluster in a report's traffic; the rest are summed into one entry. */
export const REPORTED_TRAFFIC_PROXIES = 100;

export function groupKey(g: Pick<GroupRollout, 'host' | 'path' | 'pathType'>): string {
  return `${g.host} ${g.path} ${g.pathType}`;
}

const RANK: Readonly<Record<SyncState, number>> = { NACKED: 0, STALE: 1, SYNCED: 2 };

/** What this replica's proxies run, as it publishes it. */
export function fleetReport(replica: string, groups: readonly GroupRollout[], clients: readonly ClientStatus[], traffic: HostTraffic[] = []): FleetReport {
  const byState: Record<SyncState, number> = { SYNCED: 0, STALE: 0, NACKED: 0 };
  for (const c of clients) byState[c.state]++;
  const listed = [...clients].sort((a, b) => RANK[a.state] - RANK[b.state] || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0)).slice(0, REPORTED_PROXIES);
  return {
    replica,
    groups: groups.map((g) => ({ key: groupKey(g), weights: g.weights, versions: g.versions, applied: g.applied, connected: g.connected })),
    proxies: { total: clients.length, byState, listed },
    traffic,
  };
}

/**
 * The rollout of the whole fleet: this replica's groups, with the proxies of the other replicas added.
 * A remote proxy counts as applied only where that replica's group has the same weights: a replica that
 * has not seen an edit yet serves the old weights, and its proxies run those.
 */
export function fleetRollout(local: readonly GroupRollout[], remotes: readonly FleetReport[]): GroupRollout[] {
  if (remotes.length === 0) return [...local];
  const byKey = remotes.map((r) => new Map(r.groups.map((g) => [g.key, g])));
  const replicas = remotes.length + 1;
  return local.map((g) => {
    let applied = g.applied;
    let connected = g.connected;
    for (const groups of byKey) {
      const remote = groups.get(groupKey(g));
      if (!remote) continue;
      connected += remote.connected;
      if (remote.weights === g.weights) applied += remote.applied;
    }
    const at = g.text.indexOf(' at version');
    const versions = at < 0 ? '' : g.text.slice(at);
    return { ...g, applied, connected, text: `${g.weights} applied to ${applied} of ${connected} connected proxies, on ${replicas} replicas${versions}` };
  });
}

/** The proxies of the whole fleet: this replica's, then those the others list, each with its replica. */
export function fleetClients(local: readonly ClientStatus[], remotes: readonly FleetReport[]): Array<ClientStatus & { replica?: string }> {
  const out: Array<ClientStatus & { replica?: string }> = [...local];
  for (const r of remotes) for (const c of r.proxies.listed) out.push({ ...c, replica: r.replica });
  return out;
}

/** Proxies of other replicas that their reports count but do not list (a large fleet), by state. */
export function unlistedProxies(remotes: readonly FleetReport[]): Record<SyncState, number> {
  const out: Record<SyncState, number> = { SYNCED: 0, STALE: 0, NACKED: 0 };
  for (const r of remotes) {
    const listed: Record<SyncState, number> = { SYNCED: 0, STALE: 0, NACKED: 0 };
    for (const c of r.proxies.listed) listed[c.state]++;
    for (const s of ['SYNCED', 'STALE', 'NACKED'] as const) out[s] += Math.max(0, r.proxies.byState[s] - listed[s]);
  }
  return out;
}
