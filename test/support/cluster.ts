// The cluster a test runs against: the in-process fake API server (always, in CI: no real API server
// can be installed on these machines), or a real cluster when SPLITPLANE_E2E_KUBECONFIG names a
// kubeconfig. Tests written against this interface run unchanged on both; objects go into a namespace
// of the test's own, which a real cluster deletes afterwards.

import { KubeConfig } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { KubeClient } from '../../src/kube/client.js';
import { FakeApiServer } from './fake-apiserver.js';
import type { Json } from './json.js';

type Obj = Record<string, Json>;

export interface TestCluster {
  readonly real: boolean;
  readonly kubeconfig: string;
  /** Where the test's objects live. */
  readonly namespace: string;
  apply(object: Obj): Promise<void>;
  get(kind: string, name: string, namespace?: string): Promise<Obj | undefined>;
  list(kind: string, namespace?: string): Promise<Obj[]>;
  stop(): Promise<void>;
}

const PATHS: Record<string, { prefix: string; plural: string; namespaced: boolean }> = {
  Ingress: { prefix: '/apis/networking.k8s.io/v1', plural: 'ingresses', namespaced: true },
  IngressClass: { prefix: '/apis/networking.k8s.io/v1', plural: 'ingressclasses', namespaced: false },
  Service: { prefix: '/api/v1', plural: 'services', namespaced: true },
  Secret: { prefix: '/api/v1', plural: 'secrets', namespaced: true },
  Event: { prefix: '/api/v1', plural: 'events', namespaced: true },
  EndpointSlice: { prefix: '/apis/discovery.k8s.io/v1', plural: 'endpointslices', namespaced: true },
  Lease: { prefix: '/apis/coordination.k8s.io/v1', plural: 'leases', namespaced: true },
  Namespace: { prefix: '/api/v1', plural: 'namespaces', namespaced: false },
};

export async function testCluster(dir: string): Promise<TestCluster> {
  const real = process.env.SPLITPLANE_E2E_KUBECONFIG;
  if (!real) {
    const api = new FakeApiServer(100);
    await api.start();
    const kubeconfig = api.writeKubeconfig(dir);
    return {
      real: false,
      kubeconfig,
      namespace: 'default',
      apply: async (o) => void api.apply(o),
      get: async (kind, name, namespace = 'default') => api.get(kind, namespace, name, kind === 'Event' ? 'v1' : undefined),
      list: async (kind, namespace) => api.list(kind, kind === 'Event' ? 'v1' : undefined).filter((o) => !namespace || o.metadata.namespace === namespace),
      stop: () => api.stop(),
    };
  }
  const config = new KubeConfig();
  config.loadFromFile(real);
  const client = new KubeClient(config);
  const namespace = `splitplane-e2e-${randomUUID().slice(0, 8)}`;
  const url = (kind: string, ns: string | undefined, name?: string) => {
    const p = PATHS[kind];
    const base = p!.namespaced ? `${p!.prefix}/namespaces/${ns ?? namespace}/${p!.plural}` : `${p!.prefix}/${p!.plural}`;
    return name ? `${base}/${encodeURIComponent(name)}` : base;
  };
  await client.expect('POST', url('Namespace', undefined), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  return {
    real: true,
    kubeconfig: real,
    namespace,
    async apply(object) {
      const ns = PATHS[object.kind]!.namespaced
        ? (object.metadata.namespace = object.metadata.namespace === 'default' || !object.metadata.namespace ? namespace : object.metadata.namespace)
        : undefined;
      const current = await client.request<Obj>('GET', url(object.kind, ns, object.metadata.name));
      if (current.status === 404) await client.expect('POST', url(object.kind, ns), object);
      else
        await client.expect('PUT', url(object.kind, ns, object.metadata.name), {
          ...object,
          metadata: { ...object.metadata, resourceVersion: current.body.metadata.resourceVersion },
        });
    },
    async get(kind, name, ns) {
      const r = await client.request<Obj>('GET', url(kind, ns === 'default' || !ns ? namespace : ns, name));
      return r.status === 200 ? r.body : undefined;
    },
    async list(kind, ns) {
      return (await client.list<Obj>(url(kind, ns === 'default' || !ns ? namespace : ns))).items;
    },
    async stop() {
      await client.request('DELETE', url('Namespace', undefined, namespace));
    },
  };
}
