// What the dashboard shows, in one JSON answer (`GET /debug/dashboard`): each host and path with its
// weights and how many proxies run them, the fleet with its sync states, and the diagnostics. Pure: made
// from the rollout, the client states and the diagnostics the other debug pages already serve.
//
// A page polled every second by someone watching a release must stay small with a thousand proxies:
// the fleet is summarised per state and listed worst first, up to a limit.

import type { Diagnostic } from '../objects/diagnostics.js';
import type { StatusEntry } from '../gateway/status-view.js';
import { compareStrings } from '../order.js';
import type { ClientStatus, SyncState } from '../xds/client-status.js';
import type { GroupRollout } from '../fleet/rollout.js';
import { groupKey } from '../fleet/report.js';
import type { GroupTraffic, VersionTraffic } from '../traffic/figures.js';
import type { RolloutStatus } from '../rollout/driver.js';

/** A host's path as the dashboard draws it: the weights, who runs them, each version's traffic and the rollout. */
export type DashboardPath = GroupRollout & { traffic?: VersionTraffic[]; rollout?: RolloutStatus };

export const PROXIES_SHOWN = 200;
export const DIAGNOSTICS_SHOWN = 500;

export interface DashboardProxy {
  node: string;
  cluster: string;
  kind: ClientStatus['kind'];
  userAgent: string;
  protocol: ClientStatus['protocol'];
  connectedSince: string;
  state: SyncState;
  /** The last refusal of the types it NACKed: `RDS: <Envoy's text>`. */
  nack?: string;
}

export interface DashboardData {
  generatedAt: string;
  /** Why the control plane is not ready, or null when it is. */
  notReady: string | null;
  hosts: Array<{ host: string; paths: DashboardPath[] }>;
  /** Every automated rollout, also shown on its path. */
  rollouts: RolloutStatus[];
  fleet: { total: number; byState: Record<SyncState, number>; shown: DashboardProxy[] };
  diagnostics: { total: number; bySeverity: Record<Diagnostic['severity'], number>; shown: Diagnostic[] };
  /** Gateway API objects of ours and their conditions, one line each. */
  gateways: Array<{ object: string; conditions: string[] }>;
}

export interface DashboardInput {
  rollout: readonly GroupRollout[];
  clients: readonly ClientStatus[];
  diagnostics: readonly Diagnostic[];
  notReady: string | undefined;
  /** Proxies of other replicas that their reports count but do not list (a large fleet), by state. */
  unlisted?: Record<SyncState, number>;
  traffic?: readonly GroupTraffic[];
  rollouts?: readonly RolloutStatus[];
  gatewayStatus?: readonly StatusEntry[];
  now?: Date;
}

const STATE_ORDER: Record<SyncState, number> = { NACKED: 0, STALE: 1, SYNCED: 2 };

export function dashboardData(input: DashboardInput): DashboardData {
  const traffic = new Map((input.traffic ?? []).map((t) => [t.key, t.versions]));
  const rollouts = new Map((input.rollouts ?? []).map((r) => [r.group, r]));
  const hosts = new Map<string, DashboardPath[]>();
  for (const group of input.rollout) {
    const key = groupKey(group);
    const path: DashboardPath = { ...group };
    const versions = traffic.get(key);
    if (versions) path.traffic = versions;
    const rollout = rollouts.get(key);
    if (rollout) path.rollout = rollout;
    const paths = hosts.get(group.host);
    if (paths) paths.push(path);
    else hosts.set(group.host, [path]);
  }
  const byState: Record<SyncState, number> = { NACKED: 0, STALE: 0, SYNCED: 0 };
  for (const c of input.clients) byState[c.state]++;
  let unlisted = 0;
  for (const state of ['NACKED', 'STALE', 'SYNCED'] as const) {
    byState[state] += input.unlisted?.[state] ?? 0;
    unlisted += input.unlisted?.[state] ?? 0;
  }
  // Worst first, so the proxy that needs a look is on screen even in a fleet of thousands.
  const shown = [...input.clients]
    .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || compareStrings(a.node, b.node))
    .slice(0, PROXIES_SHOWN)
    .map(proxy);
  const bySeverity: Record<Diagnostic['severity'], number> = { error: 0, warning: 0, info: 0 };
  for (const d of input.diagnostics) bySeverity[d.severity]++;
  return {
    generatedAt: (input.now ?? new Date()).toISOString(),
    notReady: input.notReady ?? null,
    hosts: [...hosts].map(([host, paths]) => ({ host, paths })),
    rollouts: [...(input.rollouts ?? [])],
    fleet: { total: input.clients.length + unlisted, byState, shown },
    // Diagnostics come errors first (the controller's order).
    diagnostics: { total: input.diagnostics.length, bySeverity, shown: input.diagnostics.slice(0, DIAGNOSTICS_SHOWN) },
    gateways: (input.gatewayStatus ?? []).map(gatewayLine),
  };
}

/** `Accepted=True (Accepted)`, per condition; a listener's and a parent's are prefixed with their name. */
function gatewayLine(entry: StatusEntry): { object: string; conditions: string[] } {
  type Condition = { type: string; status: string; reason: string };
  const words = (prefix: string, list: Condition[] | undefined) => (list ?? []).map((c) => `${prefix}${c.type}=${c.status} (${c.reason})`);
  const status = entry.status as {
    conditions?: Condition[];
    listeners?: Array<{ name: string; conditions: Condition[] }>;
    parents?: Array<{ parentRef: { name: string; sectionName?: string }; conditions: Condition[] }>;
  };
  const conditions = [
    ...words('', status.conditions),
    ...(status.listeners ?? []).flatMap((l) => words(`listener ${l.name}: `, l.conditions)),
    ...(status.parents ?? []).flatMap((p) =>
      words(`parent ${p.parentRef.name}${p.parentRef.sectionName ? `/${p.parentRef.sectionName}` : ''}: `, p.conditions),
    ),
  ];
  return { object: entry.object, conditions };
}

function proxy(c: ClientStatus): DashboardProxy {
  const out: DashboardProxy = {
    node: c.node,
    cluster: c.cluster,
    kind: c.kind,
    userAgent: c.userAgent,
    protocol: c.protocol,
    connectedSince: c.connectedSince,
    state: c.state,
  };
  const nacks = Object.entries(c.types)
    .filter(([, t]) => t.state === 'NACKED' && t.lastNack)
    .map(([type, t]) => `${type}: ${t.lastNack!.message}`);
  if (nacks.length > 0) out.nack = nacks.join('; ');
  return out;
}
