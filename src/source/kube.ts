// The Kubernetes source: informers for Ingress, IngressClass, Service and EndpointSlice (all namespaces,
// or one with --namespace), and for each TLS Secret an Ingress of ours names, a watch of that Secret
// alone (a field selector on its name): Secrets are never listed wholesale, so no key that splitplane
// does not serve is ever in its memory.

import type { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../kube/client.js';
import { Informer, type Backoff, type Collection } from '../kube/informer.js';
import type { Logger } from '../log.js';
import type { Diagnostic } from '../objects/diagnostics.js';
import { isOurs } from '../objects/ingress-class.js';
import type { Ingress, IngressClass, KubeObject } from '../objects/kube.js';
import type { Gateway, GatewayClass } from '../objects/gateway-api.js';
import { DEFAULT_CONTROLLER_NAME } from '../gateway/build.js';
import type { ObjectStore } from '../store/store.js';
import type { Source } from './source.js';

export const KUBE_SOURCE = 'kube';

export interface KubeSourceOptions {
  /** Only this namespace (`--namespace`); all namespaces when undefined. */
  namespace?: string;
  /** Our IngressClass: the Secrets of other controllers' Ingresses are not read. */
  ingressClass: string;
  /** Our Gateway controllerName: the certificates of other controllers' Gateways are not read. */
  gatewayControllerName?: string;
  backoff?: Backoff;
}

/** Collections the source watches, for the namespace given (or all). */
export function collections(namespace: string | undefined): Collection[] {
  const ns = (group: string, resource: string) => (namespace ? `${group}/namespaces/${encodeURIComponent(namespace)}/${resource}` : `${group}/${resource}`);
  return [
    { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', path: ns('/apis/networking.k8s.io/v1', 'ingresses') },
    { kind: 'IngressClass', apiVersion: 'networking.k8s.io/v1', path: '/apis/networking.k8s.io/v1/ingressclasses' },
    { kind: 'Service', apiVersion: 'v1', path: ns('/api/v1', 'services') },
    { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', path: ns('/apis/discovery.k8s.io/v1', 'endpointslices') },
    // Gateway API: read when its CRDs are installed (the upstream standard channel), empty until then.
    { kind: 'GatewayClass', apiVersion: GATEWAY_V1, path: `/apis/${GATEWAY_V1}/gatewayclasses`, optional: true },
    { kind: 'Gateway', apiVersion: GATEWAY_V1, path: ns(`/apis/${GATEWAY_V1}`, 'gateways'), optional: true },
    { kind: 'HTTPRoute', apiVersion: GATEWAY_V1, path: ns(`/apis/${GATEWAY_V1}`, 'httproutes'), optional: true },
    { kind: 'GRPCRoute', apiVersion: GATEWAY_V1, path: ns(`/apis/${GATEWAY_V1}`, 'grpcroutes'), optional: true },
    // ReferenceGrant is served as v1beta1 by every release that has it (and as v1 by the newest too).
    { kind: 'ReferenceGrant', apiVersion: GATEWAY_V1BETA1, path: ns(`/apis/${GATEWAY_V1BETA1}`, 'referencegrants'), optional: true },
    // Namespace labels, for listeners that admit routes by a namespace selector.
    { kind: 'Namespace', apiVersion: 'v1', path: '/api/v1/namespaces' },
  ];
}

const GATEWAY_V1 = 'gateway.networking.k8s.io/v1';
const GATEWAY_V1BETA1 = 'gateway.networking.k8s.io/v1beta1';

/** The watch of one Secret, by namespace and name. */
export function secretCollection(namespace: string, name: string): Collection {
  return { kind: 'Secret', apiVersion: 'v1', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`, fieldSelector: `metadata.name=${name}` };
}

export class KubeSource implements Source {
  private readonly client: KubeClient;
  private readonly informers: Informer[] = [];
  private readonly secrets = new Map<string, Informer>();
  private changed: () => void = () => undefined;
  private secretsPending = false;

  constructor(
    private readonly config: KubeConfig,
    private readonly store: ObjectStore,
    private readonly log: Logger,
    private readonly options: KubeSourceOptions,
  ) {
    this.client = new KubeClient(config);
  }

  start(changed: () => void): void {
    this.changed = changed;
    this.log.info('reading from the Kubernetes API server', { server: this.client.server(), namespace: this.options.namespace ?? '(all)' });
    for (const collection of collections(this.options.namespace)) {
      const informer = this.informer(collection);
      this.informers.push(informer);
      informer.start();
    }
  }

  stop(): void {
    for (const informer of [...this.informers, ...this.secrets.values()]) informer.stop();
  }

  notReady(): string | undefined {
    if (this.secretsPending) return 'following the Secrets the Ingresses name';
    const waiting = [...this.informers, ...this.secrets.values()].filter((i) => !i.isSynced());
    if (waiting.length === 0) return undefined;
    return `waiting for the first list of ${waiting.map((i) => (i.collection.fieldSelector ? `Secret ${i.collection.fieldSelector.slice('metadata.name='.length)}` : `${i.collection.kind}s`)).join(', ')} from the API server`;
  }

  diagnostics(): Diagnostic[] {
    const absent = this.informers.filter((i) => i.absent).map((i) => i.collection.kind);
    const notes: Diagnostic[] =
      absent.length === 0
        ? []
        : [
            {
              severity: 'info',
              object: { kind: 'APIServer', name: 'gateway.networking.k8s.io' },
              field: 'apis',
              message: `the API server does not serve ${absent.join(', ')}: install the Gateway API CRDs (standard channel) to use them; Ingresses are served meanwhile`,
            },
          ];
    return notes.concat(this.errors());
  }

  private errors(): Diagnostic[] {
    return [...this.informers, ...this.secrets.values()]
      .filter((i) => i.lastError !== undefined)
      .map((i) => ({
        severity: 'error' as const,
        object: { kind: 'APIServer', name: i.collection.path },
        field: i.collection.fieldSelector ? `watch?fieldSelector=${i.collection.fieldSelector}` : 'watch',
        message: `${i.lastError}; what was read before keeps serving, and the watch is retried (${i.restarts} restarts so far). Check the API server and splitplane's RBAC permissions`,
      }));
  }

  private informer(collection: Collection): Informer {
    return new Informer(
      collection,
      this.client,
      this.config,
      {
        upsert: (object) => this.apply(this.store.upsert(KUBE_SOURCE, object), object.kind),
        remove: (object) => this.apply(this.store.remove(KUBE_SOURCE, object), object.kind),
        health: () => this.changed(),
        // A build asked for before the last list arrived waited (notReady); a list with nothing in it
        // changes nothing in the store, so its arrival is told itself.
        synced: () => this.changed(),
      },
      this.log.child({ kind: collection.kind }),
      this.options.backoff,
    );
  }

  private apply(changed: boolean, kind: string): void {
    // Once per burst of changes (an initial list brings thousands), not once per Ingress; an object
    // whose status alone changed names no new Secret.
    if (changed && (kind === 'Ingress' || kind === 'IngressClass' || kind === 'Gateway' || kind === 'GatewayClass') && !this.secretsPending) {
      this.secretsPending = true;
      setImmediate(() => {
        this.secretsPending = false;
        this.followSecrets();
        this.changed();
      });
    }
    // While the Secrets are being followed a build would wait (notReady) and be lost: the change is
    // told once they are.
    if (changed && !this.secretsPending) this.changed();
  }

  // The Secrets to watch follow the Ingresses of ours: a watch starts for each Secret one names and
  // stops when none names it any more (its object leaves the store with it).
  private followSecrets(): void {
    const classes = this.store.list<IngressClass>('IngressClass');
    const wanted = new Set<string>();
    for (const ingress of this.store.list<Ingress>('Ingress')) {
      if (!isOurs(ingress, { ingressClass: this.options.ingressClass, ingressClasses: classes })) continue;
      const namespace = typeof ingress.metadata.namespace === 'string' && ingress.metadata.namespace !== '' ? ingress.metadata.namespace : 'default';
      for (const tls of Array.isArray(ingress.spec?.tls) ? ingress.spec.tls : []) {
        const name = (tls as { secretName?: unknown } | null)?.secretName;
        if (typeof name === 'string' && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) && name.length <= 253) wanted.add(`${namespace}/${name}`);
      }
    }
    // And the certificates of the listeners of our Gateways (certificateRefs, in any namespace: the
    // build checks the ReferenceGrants).
    const controller = this.options.gatewayControllerName ?? DEFAULT_CONTROLLER_NAME;
    const ourClasses = new Set(
      this.store
        .list<GatewayClass>('GatewayClass')
        .filter((c) => c.spec?.controllerName === controller)
        .map((c) => c.metadata.name),
    );
    for (const gateway of this.store.list<Gateway>('Gateway')) {
      if (!ourClasses.has(gateway.spec?.gatewayClassName)) continue;
      const namespace = typeof gateway.metadata.namespace === 'string' && gateway.metadata.namespace !== '' ? gateway.metadata.namespace : 'default';
      for (const listener of Array.isArray(gateway.spec?.listeners) ? gateway.spec.listeners : []) {
        const refs = (listener as { tls?: { certificateRefs?: unknown } } | null)?.tls?.certificateRefs;
        for (const ref of Array.isArray(refs) ? refs : []) {
          const r = ref as { name?: unknown; namespace?: unknown; kind?: unknown; group?: unknown } | null;
          if ((r?.group ?? '') !== '' || (r?.kind ?? 'Secret') !== 'Secret') continue;
          const ns = typeof r?.namespace === 'string' ? r.namespace : namespace;
          if (typeof r?.name === 'string' && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(r.name) && r.name.length <= 253 && /^[a-z0-9-]{1,63}$/.test(ns))
            wanted.add(`${ns}/${r.name}`);
        }
      }
    }
    for (const [key, informer] of this.secrets) {
      if (wanted.has(key)) continue;
      informer.stop();
      this.secrets.delete(key);
      const [namespace, name] = key.split('/');
      if (this.store.remove(KUBE_SOURCE, { kind: 'Secret', metadata: { namespace, name } } as KubeObject)) this.changed();
    }
    for (const key of wanted) {
      if (this.secrets.has(key)) continue;
      const [namespace = '', name = ''] = key.split('/'); // keys are `<namespace>/<name>`, made here
      const informer = this.informer(secretCollection(namespace, name));
      this.secrets.set(key, informer);
      informer.start();
    }
  }
}
