// A child process holding many ADS streams that behave like Envoy (subscribe, ACK every response, ask
// for the endpoints of every cluster), so the control plane process is measured alone. It speaks
// State of the World or Delta (argv[4]), and tells the parent when each stream has converged and when
// each receives new routes (SotW: the route configuration; Delta: a virtual host), with the bytes of
// every response.
//
// A fleet is separate machines: each would decode what it receives once. Here a thousand streams share
// two cores with the server, so a response body is read only for the fields a client must echo
// (version, type, nonce) and a body already seen is not decoded again.

import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../src/proto/type-urls.js';
import { encodeDeltaDiscoveryRequest, encodeDiscoveryRequest } from '../src/xds/messages.js';
import { DELTA_METHOD_PATH, SOTW_METHOD_PATH } from '../src/xds/server.js';

const [port, count, protocol] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4] === 'delta' ? 'delta' : 'sotw'];
// Batched: one IPC message per turn of the event loop, so the parent (the measured server) reads a
// handful of messages per flip, not one per stream.
let batch: unknown[] = [];
const send = (m: unknown) => {
  if (batch.length === 0)
    setImmediate(() => {
      process.send?.(batch);
      batch = [];
    });
  batch.push(m);
};
const now = () => performance.timeOrigin + performance.now();

interface Head {
  version: string;
  typeUrl: string;
  nonce: string;
  bytes: number;
  /** Names of the resources (Delta) or of the clusters (SotW CDS), read once per distinct body. */
  names: () => string[];
}

// Both response messages: 1 version (system_version_info), 2 resources, 4 type_url, 5 nonce.
function head(bytes: Buffer): Head {
  const reader = protobuf.Reader.create(bytes);
  let version = '';
  let typeUrl = '';
  let nonce = '';
  const resources: Array<[number, number]> = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field === 1) version = reader.string();
    else if (field === 4) typeUrl = reader.string();
    else if (field === 5) nonce = reader.string();
    else if (field === 2) {
      const length = reader.uint32();
      resources.push([reader.pos, length]);
      reader.skip(length);
    } else reader.skipType(tag & 7);
  }
  return { version, typeUrl, nonce, bytes: bytes.length, names: () => namesOf(bytes, resources, typeUrl) };
}

const namesByBody = new Map<string, string[]>();
function namesOf(bytes: Buffer, resources: Array<[number, number]>, typeUrl: string): string[] {
  const key = `${typeUrl}\u0000${bytes.length}\u0000${bytes.subarray(0, 64).toString('hex')}\u0000${bytes.subarray(-96).toString('hex')}`;
  let names = namesByBody.get(key);
  if (names) return names;
  names = resources.map(([at, length]) => {
    // Delta: a Resource whose field 3 is the name. SotW CDS: an Any whose value (2) is a Cluster, name 1.
    const r = protobuf.Reader.create(bytes.subarray(at, at + length));
    let value: Uint8Array | undefined;
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (protocol === 'delta' && tag >>> 3 === 3) return r.string();
      if (protocol === 'sotw' && tag >>> 3 === 2) value = r.bytes();
      else r.skipType(tag & 7);
    }
    if (!value) return '';
    const c = protobuf.Reader.create(value);
    while (c.pos < c.len) {
      const tag = c.uint32();
      if (tag >>> 3 === 1) return c.string();
      c.skipType(tag & 7);
    }
    return '';
  });
  namesByBody.set(key, names);
  return names;
}

function openStream(id: number): void {
  // Envoy's HTTP/2 windows default to 256 MiB; grpc-js's to 64 KiB, which would make every large
  // response wait for window updates. Behave like Envoy.
  // Each proxy is its own machine: its own HTTP/2 connection (a local subchannel pool).
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc-node.flow_control_window': 256 * 1024 * 1024,
    'grpc.use_local_subchannel_pool': 1,
  });
  const call =
    protocol === 'delta'
      ? client.makeBidiStreamRequest(DELTA_METHOD_PATH, (r: object) => Buffer.from(encodeDeltaDiscoveryRequest(r)), head)
      : client.makeBidiStreamRequest(SOTW_METHOD_PATH, (r: object) => Buffer.from(encodeDiscoveryRequest(r)), head);
  const node = { id: `bench-${protocol}-${id}`, cluster: 'bench' };
  let first = true;
  const write = (m: object) => {
    call.write(first ? { node, ...m } : m);
    first = false;
  };
  let converged = false;
  const requested = new Set<string>();
  let clusters = new Set<string>();
  const routeType = protocol === 'delta' ? VIRTUAL_HOST_TYPE : ROUTE_TYPE;

  // SotW: whole lists and versions; Delta: names added and dropped.
  const subscribe = (typeUrl: string, names: string[]) => {
    requested.add(typeUrl);
    if (protocol === 'delta') write({ type_url: typeUrl, resource_names_subscribe: names });
    else write({ type_url: typeUrl, resource_names: names, version_info: '', response_nonce: '' });
  };
  const ack = (h: Head, names: string[] = []) => {
    if (protocol === 'delta') write({ type_url: h.typeUrl, response_nonce: h.nonce });
    else write({ type_url: h.typeUrl, resource_names: names, version_info: h.version, response_nonce: h.nonce });
  };

  call.on('data', (h: Head) => {
    if (converged) send({ kind: 'response', id, type: h.typeUrl, version: h.version, bytes: h.bytes, at: now() });
    if (h.typeUrl === CLUSTER_TYPE) {
      const names = h.names();
      const before = clusters;
      clusters = protocol === 'delta' ? new Set([...clusters, ...names]) : new Set(names);
      ack(h);
      const added = [...clusters].filter((c) => !before.has(c));
      if (protocol === 'delta') {
        if (added.length > 0) write({ type_url: ENDPOINT_TYPE, resource_names_subscribe: added });
      } else subscribe(ENDPOINT_TYPE, [...clusters]);
    } else if (h.typeUrl === ENDPOINT_TYPE) {
      ack(h, [...clusters]);
      if (!requested.has(LISTENER_TYPE)) subscribe(LISTENER_TYPE, []);
    } else if (h.typeUrl === LISTENER_TYPE) {
      ack(h);
      if (!requested.has(ROUTE_TYPE)) subscribe(ROUTE_TYPE, ['ingress_http']);
    } else if (h.typeUrl === ROUTE_TYPE) {
      ack(h, ['ingress_http']);
      if (protocol === 'delta' && !requested.has(VIRTUAL_HOST_TYPE)) subscribe(VIRTUAL_HOST_TYPE, []);
    } else ack(h);
    if (!converged && h.typeUrl === routeType) {
      converged = true;
      send({ kind: 'converged', id });
    }
  });
  call.on('error', (e: Error) => send({ kind: 'error', id, message: e.message }));
  subscribe(CLUSTER_TYPE, []);
}

for (let i = 0; i < count; i++) openStream(i);
