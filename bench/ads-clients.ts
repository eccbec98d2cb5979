// A child process holding many ADS streams that behave like Envoy (subscribe, ACK every response, ask
// for the endpoints of every cluster), so the control plane process is measured alone. It tells the
// parent when each stream has converged and when each stream receives a new route configuration.

import * as grpc from '@grpc/grpc-js';
import { messageType } from '../src/proto/registry.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../src/resources/type-urls.js';
import { encodeDiscoveryRequest } from '../src/xds/messages.js';
import { SOTW_METHOD_PATH } from '../src/xds/server.js';

interface Raw {
  version_info: string;
  type_url: string;
  nonce: string;
  resources: Array<{ value: Uint8Array }>;
}

const [port, count] = [Number(process.argv[2]), Number(process.argv[3])];
const responseType = messageType('envoy.service.discovery.v3.DiscoveryResponse');
const clusterType = messageType('envoy.config.cluster.v3.Cluster');
const clusterNamesByVersion = new Map<string, string[]>();
const send = (m: unknown) => process.send?.(m);
const now = () => performance.timeOrigin + performance.now();

function openStream(id: number): void {
  // Envoy's HTTP/2 windows default to 256 MiB; grpc-js's to 64 KiB, which would make every large
  // response wait for window updates. Behave like Envoy.
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc-node.flow_control_window': 256 * 1024 * 1024 });
  const call = client.makeBidiStreamRequest(SOTW_METHOD_PATH, (r: object) => Buffer.from(encodeDiscoveryRequest(r)), (b: Buffer) => responseType.decode(b) as unknown as Raw);
  let clusters: string[] = [];
  let converged = false;
  const acked = new Set<string>();
  const request = (type_url: string, resource_names: string[], version_info = '', response_nonce = '') =>
    call.write({ type_url, resource_names, version_info, response_nonce, ...(id >= 0 && acked.size === 0 && type_url === CLUSTER_TYPE && !version_info ? { node: { id: `bench-${id}` } } : {}) });
  call.on('data', (r: Raw) => {
    if (r.type_url === ROUTE_TYPE && converged) send({ kind: 'route', id, version: r.version_info, at: now() });
    if (r.type_url === CLUSTER_TYPE) {
      let names = clusterNamesByVersion.get(r.version_info);
      if (!names) {
        names = r.resources.map((a) => (clusterType.decode(a.value) as unknown as { name: string }).name);
        clusterNamesByVersion.set(r.version_info, names);
      }
      clusters = names;
      request(CLUSTER_TYPE, [], r.version_info, r.nonce);
      request(ENDPOINT_TYPE, clusters);
    } else if (r.type_url === ENDPOINT_TYPE) {
      request(ENDPOINT_TYPE, clusters, r.version_info, r.nonce);
      if (!acked.has(LISTENER_TYPE)) request(LISTENER_TYPE, []);
    } else if (r.type_url === LISTENER_TYPE) {
      request(LISTENER_TYPE, [], r.version_info, r.nonce);
      if (!acked.has(ROUTE_TYPE)) request(ROUTE_TYPE, ['ingress_http']);
    } else if (r.type_url === ROUTE_TYPE) {
      request(ROUTE_TYPE, ['ingress_http'], r.version_info, r.nonce);
      if (!converged) {
        converged = true;
        send({ kind: 'converged', id });
      }
    }
    acked.add(r.type_url);
  });
  call.on('error', (e: Error) => send({ kind: 'error', id, message: e.message }));
  request(CLUSTER_TYPE, []);
}

for (let i = 0; i < count; i++) openStream(i);
