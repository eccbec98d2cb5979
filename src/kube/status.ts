// Ingress status: `status.loadBalancer.ingress` says where an Ingress is served, which is what
// `kubectl get ingress` shows as ADDRESS. Written for the Ingresses of our class from --publish-address
// or from --publish-service's load balancer (or external IPs), and taken back from Ingresses we stop
// owning (only when it is still exactly what we wrote, so another controller's status is never wiped).
// Only the leader writes; a write is a merge patch of the status subresource, skipped when the status
// already says the same.

import { isOurs } from '../objects/ingress-class.js';
import type { Ingress, IngressClass } from '../objects/kube.js';
import type { Logger } from '../log.js';
import { SyncLoop } from './sync-loop.js';
import type { ObjectStore } from '../store/store.js';
import type { KubeClient } from './client.js';

export type LoadBalancerIngress = { ip: string } | { hostname: string };

export type PublishTarget = { address: string } | { service: { namespace: string; name: string } };

export interface StatusOptions {
  ingressClass: string;
  publish: PublishTarget;
  isLeader(): boolean;
  /** Every how often everything is checked again, besides after each change. */
  resyncMs?: number;
}

/** `10.0.0.1` → ip, `lb.example.com` → hostname, as the API wants them. */
export function loadBalancerEntry(address: string): LoadBalancerIngress {
  return /^[\d.]+$/.test(address) || address.includes(':') ? { ip: address } : { hostname: address };
}

export class StatusWriter extends SyncLoop {
  /** What we last wrote per Ingress (by uid): the store holds objects as of the last spec change. */
  private readonly written = new Map<string, string>();
  writes = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly store: ObjectStore,
    private readonly options: StatusOptions,
    private readonly log: Logger,
  ) {
    super(options.resyncMs ?? 30_000);
  }

  protected async run(): Promise<void> {
    if (!this.options.isLeader()) return;
    let addresses: LoadBalancerIngress[];
    try {
      addresses = await this.addresses();
    } catch (error) {
      this.log.warn('cannot read the address to publish in Ingress status', { error: error instanceof Error ? error.message : String(error) });
      return;
    }
    const ours = JSON.stringify(addresses);
    const classes = this.store.list<IngressClass>('IngressClass');
    for (const ingress of this.store.list<Ingress>('Ingress')) {
      if (!this.options.isLeader()) return;
      const current = (ingress as Ingress & { status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } } }).status?.loadBalancer?.ingress ?? [];
      const key = ingress.metadata.uid ?? `${ingress.metadata.namespace}/${ingress.metadata.name}`;
      const known = this.written.get(key) ?? JSON.stringify(current);
      let desired: LoadBalancerIngress[];
      if (isOurs(ingress, { ingressClass: this.options.ingressClass, ingressClasses: classes })) {
        if (addresses.length === 0) continue; // nothing to say yet: leave the status as it is
        desired = addresses;
      } else if (known === ours && addresses.length > 0) {
        desired = []; // ours no longer: take back what we wrote
      } else continue;
      if (known === JSON.stringify(desired)) continue;
      await this.write(ingress, desired, key);
    }
  }

  private async write(ingress: Ingress, desired: LoadBalancerIngress[], key: string): Promise<void> {
    const namespace = ingress.metadata.namespace || 'default';
    const path = `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/ingresses/${encodeURIComponent(ingress.metadata.name)}/status`;
    try {
      await this.client.expect('PATCH', path, { status: { loadBalancer: { ingress: desired.length > 0 ? desired : null } } }, 'application/merge-patch+json');
      this.written.set(key, JSON.stringify(desired));
      this.writes++;
      this.log.info('Ingress status written', { ingress: `${namespace}/${ingress.metadata.name}`, loadBalancer: desired });
    } catch (error) {
      this.log.warn('cannot write Ingress status; retried on the next change or resync', {
        ingress: `${namespace}/${ingress.metadata.name}`,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private addresses(): Promise<LoadBalancerIngress[]> {
    return publishedAddresses(this.client, this.options.publish);
  }
}

/** Where the fleet is reached: --publish-address, or --publish-service's load balancer (else its external IPs). */
export async function publishedAddresses(client: KubeClient, publish: PublishTarget): Promise<LoadBalancerIngress[]> {
  if ('address' in publish) return [loadBalancerEntry(publish.address)];
  const service = await client.expect<{
    spec?: { externalIPs?: string[] };
    status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } };
  }>('GET', `/api/v1/namespaces/${encodeURIComponent(publish.service.namespace)}/services/${encodeURIComponent(publish.service.name)}`);
  const balanced = (service.status?.loadBalancer?.ingress ?? []).flatMap((e): LoadBalancerIngress[] =>
    e.ip ? [{ ip: e.ip }] : e.hostname ? [{ hostname: e.hostname }] : [],
  );
  if (balanced.length > 0) return balanced;
  return (service.spec?.externalIPs ?? []).map((ip) => ({ ip }));
}
