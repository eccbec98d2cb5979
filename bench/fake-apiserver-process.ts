// A child process holding the fake API server with a cluster's worth of objects, so the control plane
// is measured alone (its CPU, its RSS). Commands from the parent: {edit: weight} changes one Ingress.

import { FakeApiServer } from '../test/support/fake-apiserver.js';

const services = Number(process.argv[2]);
const ingresses = Number(process.argv[3]);
// A bookmark per watch every BENCH_BOOKMARK_MS (60 s): the real kube-apiserver v1.34 sends one a minute or
// two apart on a quiet watch (120 s measured here), and each is CPU the control plane spends at rest.
const api = new FakeApiServer(Number(process.env.BENCH_BOOKMARK_MS ?? 60_000));
await api.start();

const service = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
});
const slice = (name: string, i: number) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${name}-abcde`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  endpoints: [1, 2, 3].map((n) => ({ addresses: [`10.${(i >> 8) & 255}.${i & 255}.${n}`], conditions: { ready: true } })),
});
const ingress = (i: number, weight: string) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: `app-${i}`, namespace: 'default', annotations: { [`ingress.aliyun.weight/svc-${2 * i + 1}`]: weight } },
  spec: {
    rules: [
      {
        host: `app-${i}.example.com`,
        http: {
          paths: [`svc-${2 * i}`, `svc-${2 * i + 1}`].map((name) => ({ path: '/', pathType: 'Prefix', backend: { service: { name, port: { number: 80 } } } })),
        },
      },
    ],
  },
});
for (let i = 0; i < services; i++) {
  api.apply(service(`svc-${i}`));
  api.apply(slice(`svc-${i}`, i));
}
for (let i = 0; i < ingresses; i++) api.apply(ingress(i, '20'));
process.on('message', (m: { edit?: string }) => {
  if (m.edit !== undefined) api.apply(ingress(0, m.edit));
});
process.send?.({ port: api.port });
