// The cluster a test runs against: a real kube-apiserver and etcd started on loopback by the test
// (test/support/kube-apiserver.ts; splitplane gets only the token of deploy/rbac.yaml's ServiceAccount),
// or the cluster SPLITPLANE_E2E_KUBECONFIG names. Tests written against this interface run unchanged on
// both; objects go into a namespace of the test's own, deleted afterwards. The in-process fake API server
// is for the tests that inject faults, not for this suite.

import { KubeConfig } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { KubeClient } from '../../src/kube/client.js';
import { putOrCreate, startRealApiServer } from './kube-apiserver.js';
import type { Json } from './json.js';

type Obj = Record<string, Json>;

export interface TestCluster {
  /** Which: the API server this test started, or the cluster of SPLITPLANE_E2E_KUBECONFIG. */
  readonly kind: 'local' | 'external';
  /** The kubeconfig splitplane runs with. */
  readonly kubeconfig: string;
  /** Where splitplane's Lease goes (POD_NAMESPACE): where its RBAC allows Leases. */
  readonly leaseNamespace: string;
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
  const external = process.env.SPLITPLANE_E2E_KUBECONFIG;
  if (external) {
    const config = new KubeConfig();
    config.loadFromFile(external);
    // With the kubeconfig's own rights: the Lease goes into the test's namespace.
    return clusterOver(new KubeClient(config), { kind: 'external', kubeconfig: external }, async () => undefined);
  }
  const api = await startRealApiServer(dir);
  // splitplane runs with deploy/rbac.yaml's ServiceAccount, which may hold Leases in splitplane only.
  return clusterOver(api.admin, { kind: 'local', kubeconfig: api.serviceAccountKubeconfig, leaseNamespace: 'splitplane' }, () => api.stop());
}

async function clusterOver(
  client: KubeClient,
  how: { kind: TestCluster['kind']; kubeconfig: string; leaseNamespace?: string },
  stopCluster: () => Promise<void>,
): Promise<TestCluster> {
  const namespace = `splitplane-e2e-${randomUUID().slice(0, 8)}`;
  const url = (kind: string, ns: string | undefined, name?: string) => {
    const p = PATHS[kind];
    const base = p!.namespaced ? `${p!.prefix}/namespaces/${ns ?? namespace}/${p!.plural}` : `${p!.prefix}/${p!.plural}`;
    return name ? `${base}/${encodeURIComponent(name)}` : base;
  };
  await client.expect('POST', url('Namespace', undefined), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  return {
    kind: how.kind,
    kubeconfig: how.kubeconfig,
    leaseNamespace: how.leaseNamespace ?? namespace,
    namespace,
    async apply(object) {
      const ns = PATHS[object.kind]!.namespaced
        ? (object.metadata.namespace = object.metadata.namespace === 'default' || !object.metadata.namespace ? namespace : object.metadata.namespace)
        : undefined;
      await putOrCreate(client, url(object.kind, ns), object);
    },
    async get(kind, name, ns) {
      const r = await client.request<Obj>('GET', url(kind, ns === 'default' || !ns ? namespace : ns, name));
      return r.status === 200 ? r.body : undefined;
    },
    async list(kind, ns) {
      return (await client.list<Obj>(url(kind, ns === 'default' || !ns ? namespace : ns))).items;
    },
    async stop() {
      await client.request('DELETE', url('Namespace', undefined, namespace)).catch(() => undefined);
      await stopCluster();
    },
  };
}
