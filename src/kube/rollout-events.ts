// Rollout Events: once a split changes, a Normal `RolloutComplete` Event on its Ingress when every
// connected proxy runs the new weights (from their ACKs), or a Warning `RolloutStalled` naming the
// proxies that refused them or have not taken them when the timeout passes. `kubectl describe ingress`
// then says whether the release reached the fleet, not only that it was written.

import type { ClientStatus } from '../xds/client-status.js';
import type { GroupRollout } from '../fleet/rollout.js';
import type { HostTraffic } from '../fleet/report.js';
import type { SplitSummary } from './split-summary.js';

export interface RolloutEvent {
  /** The object the Event goes on: Ingress, HTTPRoute or GRPCRoute. */
  kind: string;
  namespace: string;
  ingress: string;
  type: 'Normal' | 'Warning';
  reason: 'RolloutComplete' | 'RolloutStalled';
  message: string;
}

export interface RolloutState {
  groups: GroupRollout[];
  clients: ClientStatus[];
  /** What this replica's proxies reported, for the other replicas' figures (fleet/report.ts). */
  traffic?: HostTraffic[];
}

function groupKey(kind: string, object: string, weights: string): string {
  return `${kind}\u0000${object}\u0000${weights}`;
}

/** The proxies named in a Warning, at most this many (the Event message stays readable). */
const MAX_NAMED = 10;

export class RolloutWatcher {
  /** Splits waiting for the fleet: by `<namespace>/<ingress>` and text, with when they changed. */
  private readonly pending = new Map<string, { summary: SplitSummary; since: number }>();

  constructor(
    private readonly emit: (event: RolloutEvent) => void,
    private readonly timeoutMs = 60_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Splits whose weights just changed: each is watched until the fleet runs it or the timeout passes. */
  changed(summaries: Iterable<SplitSummary>): void {
    for (const summary of summaries)
      this.pending.set(`${summary.kind}/${summary.namespace}/${summary.ingress}\u0000${summary.text}`, { summary, since: this.now() });
  }

  get watching(): number {
    return this.pending.size;
  }

  /** Compares what is pending with what the fleet acknowledged; emits what is settled. */
  check(state: RolloutState): void {
    if (this.pending.size === 0) return;
    // The summary's text is the group's weights; the rollout of the same group says how many run them.
    // Indexed once per check: ten thousand splits waiting must not each look through ten thousand groups.
    const groups = new Map<string, GroupRollout>();
    for (const g of state.groups) {
      const key = groupKey(g.kind ?? 'Ingress', g.ingress, g.weights);
      if (!groups.has(key)) groups.set(key, g);
    }
    const now = this.now();
    let nacked: string[] | undefined;
    let stale: string[] | undefined;
    for (const [key, { summary, since }] of this.pending) {
      const group = groups.get(groupKey(summary.kind, `${summary.namespace}/${summary.ingress}`, summary.text));
      if (!group) {
        // The weights changed again (a newer summary is pending) or the group is gone: nothing to say.
        if (now - since > this.timeoutMs) this.pending.delete(key);
        continue;
      }
      if (group.connected > 0 && group.applied === group.connected) {
        this.pending.delete(key);
        this.emit({
          kind: summary.kind,
          namespace: summary.namespace,
          ingress: summary.ingress,
          type: 'Normal',
          reason: 'RolloutComplete',
          message: group.text,
        });
        continue;
      }
      if (now - since <= this.timeoutMs) continue;
      this.pending.delete(key);
      const seconds = Math.round(this.timeoutMs / 1000);
      nacked ??= state.clients.filter((c) => c.state === 'NACKED').map((c) => c.node || '(no node id)');
      stale ??= state.clients.filter((c) => c.state === 'STALE').map((c) => c.node || '(no node id)');
      const named = (what: string, nodes: string[]) =>
        nodes.length === 0
          ? ''
          : `; ${what}: ${nodes.slice(0, MAX_NAMED).join(', ')}${nodes.length > MAX_NAMED ? ` and ${nodes.length - MAX_NAMED} more` : ''}`;
      const message =
        group.connected === 0
          ? `${summary.text}: no proxy is connected after ${seconds} s`
          : `${group.text} after ${seconds} s${named('refused by', nacked)}${named('not yet taken by', stale)}`;
      this.emit({ kind: summary.kind, namespace: summary.namespace, ingress: summary.ingress, type: 'Warning', reason: 'RolloutStalled', message });
    }
  }
}
