// Gateway API status, written by the leader only when it changes: GatewayClass Accepted, Gateway
// Accepted/Programmed with addresses and per-listener conditions, and for each route the entries of
// `status.parents` that carry our controllerName (other controllers' entries are kept as they are).
// Each condition keeps its lastTransitionTime while its status is unchanged and carries the object's
// generation as observedGeneration, as the specification asks. A write is a merge patch of the status
// subresource with the resourceVersion just read, so a concurrent writer (another controller on a shared
// route) makes it fail and it is tried again on the next change or resync, never overwritten blindly.

import type { Logger } from '../log.js';
import { SyncLoop } from './sync-loop.js';
import { GATEWAY_GROUP } from '../objects/gateway-api.js';
import type { GatewayStatuses, StatusCondition } from '../gateway/conditions.js';
import { KubeApiError, type KubeClient } from './client.js';

export interface GatewayStatusOptions {
  controllerName: string;
  isLeader(): boolean;
  /** The statuses the last build decided. */
  statuses(): GatewayStatuses | undefined;
  /** Addresses for Gateway status (--publish-address, or --publish-service's load balancer). */
  addresses(): Promise<Array<{ type: string; value: string }> | undefined>;
  resyncMs?: number;
  now?: () => Date;
}

interface KubeCondition extends StatusCondition {
  lastTransitionTime: string;
  observedGeneration?: number;
}

interface Current {
  metadata: { resourceVersion?: string; generation?: number };
  status?: {
    conditions?: KubeCondition[];
    parents?: Array<{ controllerName?: string; parentRef?: unknown; conditions?: KubeCondition[] }>;
    [k: string]: unknown;
  };
}

const PLURAL: Readonly<Record<string, string>> = { GatewayClass: 'gatewayclasses', Gateway: 'gateways', HTTPRoute: 'httproutes', GRPCRoute: 'grpcroutes' };

export class GatewayStatusWriter extends SyncLoop {
  /** What was last written (or found already in place) per object: a status is sent only when it differs. */
  private readonly written = new Map<string, string>();
  /** Routes whose status carries our entries: when a route stops naming our Gateways, they are removed. */
  private readonly routesWithEntries = new Set<string>();
  writes = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly options: GatewayStatusOptions,
    private readonly log: Logger,
  ) {
    super(options.resyncMs ?? 30_000);
  }

  /** A new leader re-reads everything: another replica may have written meanwhile. */
  leadershipChanged(): void {
    this.written.clear();
    this.changed();
  }

  protected async run(): Promise<void> {
    const statuses = this.options.statuses();
    if (!statuses || !this.options.isLeader()) return;
    let addresses: Array<{ type: string; value: string }> | undefined;
    try {
      addresses = await this.options.addresses();
    } catch (error) {
      this.log.warn('cannot read the address to publish in Gateway status', { error: error instanceof Error ? error.message : String(error) });
    }
    for (const c of statuses.classes) {
      await this.write('GatewayClass', undefined, c.ref.name, c.generation, (current, generation) => ({
        ...current.status,
        conditions: this.conditions(c.conditions, current.status?.conditions, generation),
      }));
    }
    for (const g of statuses.gateways) {
      await this.write('Gateway', g.ref.namespace, g.ref.name, g.generation, (current, generation) => {
        const before = (current.status?.listeners ?? []) as Array<{ name: string; conditions?: KubeCondition[] }>;
        return {
          ...current.status,
          addresses: addresses ?? g.addresses,
          conditions: this.conditions(g.conditions, current.status?.conditions, generation),
          listeners: g.listeners.map((l) => ({
            name: l.name,
            supportedKinds: l.supportedKinds,
            attachedRoutes: l.attachedRoutes,
            conditions: this.conditions(l.conditions, before.find((b) => b.name === l.name)?.conditions, generation),
          })),
        };
      });
    }
    const seen = new Set<string>();
    for (const r of statuses.routes) {
      const key = `${r.ref.kind}/${r.ref.namespace}/${r.ref.name}`;
      seen.add(key);
      await this.write(r.ref.kind, r.ref.namespace, r.ref.name, r.generation, (current, generation) => ({
        ...current.status,
        parents: this.parents(current, (before) =>
          r.parents.map((p) => ({
            parentRef: p.parentRef,
            controllerName: p.controllerName,
            conditions: this.conditions(p.conditions, before.find((b) => sameParent(b.parentRef, p.parentRef))?.conditions, generation),
          })),
        ),
      }));
      this.routesWithEntries.add(key);
    }
    // Routes that no longer name our Gateways lose our entries (and only ours).
    for (const key of [...this.routesWithEntries]) {
      if (seen.has(key)) continue;
      const [kind = '', namespace, name = ''] = key.split('/');
      await this.write(kind, namespace, name, undefined, (current) => ({ ...current.status, parents: this.parents(current, () => []) }));
      this.routesWithEntries.delete(key);
    }
  }

  /** Other controllers' entries as they are, ours replaced by `ours(previous ours)`. */
  private parents(current: Current, ours: (before: NonNullable<NonNullable<Current['status']>['parents']>) => unknown[]): unknown[] {
    const all = current.status?.parents ?? [];
    const mine = all.filter((p) => p.controllerName === this.options.controllerName);
    return [...all.filter((p) => p.controllerName !== this.options.controllerName), ...ours(mine)];
  }

  private conditions(desired: readonly StatusCondition[], before: readonly KubeCondition[] | undefined, generation: number | undefined): KubeCondition[] {
    const now = (this.options.now?.() ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
    return desired.map((c) => {
      const previous = before?.find((b) => b.type === c.type);
      const out: KubeCondition = { ...c, lastTransitionTime: previous && previous.status === c.status ? previous.lastTransitionTime : now };
      if (generation !== undefined) out.observedGeneration = generation;
      return out;
    });
  }

  private async write(
    kind: string,
    namespace: string | undefined,
    name: string,
    generation: number | undefined,
    desired: (current: Current, generation: number | undefined) => Record<string, unknown>,
  ): Promise<void> {
    if (!this.options.isLeader()) return;
    const path = `/apis/${GATEWAY_GROUP}/v1${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${PLURAL[kind]}/${encodeURIComponent(name)}`;
    const label = `${kind} ${namespace ? `${namespace}/` : ''}${name}`;
    try {
      // What we would write with no times in it: unchanged since the last write, nothing to do.
      const fingerprint = JSON.stringify(stripTimes(desired({ metadata: { generation } }, generation)));
      if (this.written.get(`${kind}/${namespace}/${name}`) === fingerprint) return;
      const current = await this.client.expect<Current>('GET', path);
      const next = desired(current, current.metadata.generation ?? generation);
      if (JSON.stringify(stripTimes(next)) !== JSON.stringify(stripTimes(current.status ?? {}))) {
        await this.client.expect(
          'PATCH',
          `${path}/status`,
          { metadata: { resourceVersion: current.metadata.resourceVersion }, status: next },
          'application/merge-patch+json',
        );
        this.writes++;
        this.log.info('Gateway API status written', { object: label });
      }
      this.written.set(`${kind}/${namespace}/${name}`, fingerprint);
    } catch (error) {
      // Gone (deleted meanwhile), or a conflict with another writer: the next change or resync tries again.
      if (error instanceof KubeApiError && error.status === 404) return;
      // Another writer was first: read again and retry soon, with its change in hand.
      if (error instanceof KubeApiError && error.status === 409) {
        const retry = setTimeout(() => this.changed(), 1000);
        retry.unref();
        return;
      }
      this.log.warn('cannot write Gateway API status; retried on the next change or resync', {
        object: label,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

function sameParent(a: unknown, b: unknown): boolean {
  const norm = (p: unknown) => {
    const r = (p ?? {}) as Record<string, unknown>;
    return JSON.stringify([r.group ?? GATEWAY_GROUP, r.kind ?? 'Gateway', r.namespace ?? '', r.name, r.sectionName ?? '', r.port ?? 0]);
  };
  return norm(a) === norm(b);
}

function stripTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripTimes);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== 'lastTransitionTime') out[k] = stripTimes(v);
    return out;
  }
  return value;
}
