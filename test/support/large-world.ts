// A large cluster on a real API server, for the initial sync at scale (test/kube/large-sync.test.ts and
// bench/kube-sync.ts): N Ingresses on hosts app-<i>.example.com, each splitting 50/50 between two
// Services of its own (svc-<i>-a, svc-<i>-b), each Service with the EndpointSlice a cluster would publish
// (two ready TEST-NET addresses). 10,000 Ingresses are 20,000 Services and 20,000 EndpointSlices.
// The objects go in type by type, as many requests in flight as the API server takes.

import type { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/client.js';
import { CONTROLLER_NAME } from '../../src/objects/ingress-class.js';
import type { Json } from './json.js';

type Obj = Record<string, Json>;

export const LARGE_NAMESPACE = 'default';
const SERVICES = `/api/v1/namespaces/${LARGE_NAMESPACE}/services`;
const SLICES = `/apis/discovery.k8s.io/v1/namespaces/${LARGE_NAMESPACE}/endpointslices`;
const INGRESSES = `/apis/networking.k8s.io/v1/namespaces/${LARGE_NAMESPACE}/ingresses`;

export const largeHost = (i: number): string => `app-${i}.example.com`;
export const largeService = (i: number, version: 'a' | 'b'): string => `svc-${i}-${version}`;

/**
 * Headless: splitplane routes to the EndpointSlices and never reads a cluster IP, and allocating 20,000 of
 * them is most of the API server's work here (250 Services a second with one, 1,300 without).
 */
function service(name: string): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: LARGE_NAMESPACE },
    spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
}

/** TEST-NET-2 and -3 addresses (a real API server refuses loopback ones), distinct per Service. */
function slice(name: string, n: number): Obj {
  const address = (base: string, k: number) => `${base}.${Math.floor(k / 250) % 250}.${(k % 250) + 1}`;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-x1`, namespace: LARGE_NAMESPACE, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [
      { addresses: [address('198.51', n)], conditions: { ready: true } },
      { addresses: [address('203.0', n)], conditions: { ready: true } },
    ],
  };
}

function ingress(i: number): Obj {
  const backend = (version: 'a' | 'b') => ({
    path: '/',
    pathType: 'Prefix',
    backend: { service: { name: largeService(i, version), port: { number: 80 } } },
  });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: `app-${i}`, namespace: LARGE_NAMESPACE, annotations: { [`ingress.aliyun.weight/${largeService(i, 'b')}`]: '50' } },
    spec: { ingressClassName: 'splitplane', rules: [{ host: largeHost(i), http: { paths: [backend('a'), backend('b')] } }] },
  };
}

/** The objects of Ingress i, in the order a cluster would have them: Services, slices, then the Ingress. */
function objectsOf(i: number): Array<[string, Obj]> {
  const out: Array<[string, Obj]> = [];
  for (const version of ['a', 'b'] as const) {
    const name = largeService(i, version);
    out.push([SERVICES, service(name)], [SLICES, slice(name, 2 * i + (version === 'a' ? 0 : 1))]);
  }
  out.push([INGRESSES, ingress(i)]);
  return out;
}

/**
 * Creates the world (and the IngressClass `splitplane` its Ingresses name) with `concurrency` requests in flight; an object that exists already is kept (a
 * second run on the same etcd goes on). `progress` is told every 5,000 objects.
 */
export async function createLargeWorld(
  admin: KubeClient,
  ingresses: number,
  progress: (created: number, total: number) => void,
  concurrency = 24,
): Promise<void> {
  const classes = '/apis/networking.k8s.io/v1/ingressclasses';
  const ingressClass = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'splitplane' }, spec: { controller: CONTROLLER_NAME } };
  const made = await admin.request('POST', classes, ingressClass);
  if (made.status !== 201 && made.status !== 409) throw new KubeApiError(made.status, classes, JSON.stringify(made.body).slice(0, 300));
  const total = ingresses * 5;
  let next = 0;
  let created = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= ingresses) return;
      for (const [collection, object] of objectsOf(i)) {
        const response = await admin.request('POST', collection, object);
        if (response.status !== 201 && response.status !== 409)
          throw new KubeApiError(response.status, collection, JSON.stringify(response.body).slice(0, 300));
        if (++created % 5000 === 0) progress(created, total);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
