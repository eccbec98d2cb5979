// The ADS protocol state machines without gRPC: a stream wired to a snapshot the test sets and to
// events that only record what would be sent, and small snapshots built from the real translators.

import { edsCluster } from '../../src/resources/cluster.js';
import { loadAssignment } from '../../src/resources/endpoint.js';
import { httpListener } from '../../src/resources/listener.js';
import { grpcRouteConfiguration } from '../../src/resources/grpc.js';
import { perHostRouteConfiguration, routeConfiguration, vhdsVirtualHost } from '../../src/resources/route.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE, SHORT_NAME, VIRTUAL_HOST_TYPE, type TypeUrl } from '../../src/proto/type-urls.js';
import { Snapshot, SnapshotEncoder } from '../../src/snapshot/snapshot.js';
import type { VirtualHostModel } from '../../src/model/types.js';
import { DeltaStream } from '../../src/xds/delta.js';
import type { DeltaDiscoveryResponse, DiscoveryResponse, StreamEvents } from '../../src/xds/protocol.js';
import { SotwStream } from '../../src/xds/sotw.js';

export const TYPE: Record<string, TypeUrl> = {
  CDS: CLUSTER_TYPE,
  EDS: ENDPOINT_TYPE,
  LDS: LISTENER_TYPE,
  RDS: ROUTE_TYPE,
  SDS: SECRET_TYPE,
  VHDS: VIRTUAL_HOST_TYPE,
};

const source = { kind: 'Ingress', namespace: 'default', name: 'echo' };

/** Where a host sends its traffic: one cluster, or clusters with weights in basis points. */
export type HostTarget = string | Record<string, number>;

/** The routing model of a world of hosts, each with one group split over the given clusters. */
export function worldModel(hosts: Record<string, HostTarget>): VirtualHostModel[] {
  return Object.entries(hosts).map(([host, target]) => ({
    host,
    groups: [
      {
        source,
        host,
        path: '/',
        pathType: 'Prefix',
        order: 0,
        rules: [],
        backends: split(target).map(([cluster, bp]) => ({ service: cluster, cluster, declaredBasisPoints: bp, basisPoints: bp, ready: true })),
      },
    ],
  }));
}

const split = (target: HostTarget) => Object.entries(typeof target === 'string' ? { [target]: 10000 } : target);

/**
 * A world of hosts, each routed to one cluster (`{ 'a.io': 'a' }`) or split (`{ 'a.io': { a: 5000,
 * b: 5000 } }`), clusters with one endpoint at `port`, and the route configuration whole, per host,
 * and for gRPC clients. One encoder across calls keeps the identity of what did not change, as the
 * controller's does.
 */
export function worldBuilder(): (hosts: Record<string, HostTarget>, options?: { extraClusters?: string[]; port?: number }) => Snapshot {
  const encoder = new SnapshotEncoder();
  return (hosts, options = {}) => {
    const vhosts = worldModel(hosts);
    const clusters = [...new Set([...Object.values(hosts).flatMap((t) => split(t).map(([c]) => c)), ...(options.extraClusters ?? [])])].sort();
    return encoder.build({
      [LISTENER_TYPE]: [httpListener({ address: '0.0.0.0', port: 8080 })],
      [ROUTE_TYPE]: [routeConfiguration(vhosts)],
      [VIRTUAL_HOST_TYPE]: vhosts.map((v) => vhdsVirtualHost(v)).sort((a, b) => (a.name < b.name ? -1 : 1)),
      perHostRoutes: [perHostRouteConfiguration()],
      grpcRoutes: () => vhosts.map(grpcRouteConfiguration),
      [CLUSTER_TYPE]: clusters.map((name) => edsCluster({ name })),
      [ENDPOINT_TYPE]: clusters.map((name) => loadAssignment({ name, endpoints: [{ address: '127.0.0.1', port: options.port ?? 1 }] })),
      [SECRET_TYPE]: [],
    });
  };
}

/** What a response carried, in short: its type, the names in it, and for Delta the names removed. */
export interface Sent {
  type: string;
  names: string[];
  removed?: string[];
  nonce: string;
  version: string;
}

export interface Recorded {
  sent: Sent[];
  acks: string[];
  nacks: string[];
  stale: string[];
  /** Limits the client went past (the server would end the stream). */
  exceeded: string[];
}

function events<R>(record: Recorded, shape: (r: R) => Omit<Sent, 'nonce'>): StreamEvents<R> {
  return {
    send: (r) => {
      const nonce = String(record.sent.length + 1);
      record.sent.push({ ...shape(r), nonce });
      return nonce;
    },
    ack: (t, v) => record.acks.push(`${SHORT_NAME[t]} ${v}`),
    nack: (t, v) => record.nacks.push(`${SHORT_NAME[t]} ${v}`),
    canSend: () => true,
    staleNonce: (t, n) => record.stale.push(`${SHORT_NAME[t]} ${n}`),
    unknownType: () => undefined,
    mayServe: () => true,
    refused: () => undefined,
    exceeded: (why) => record.exceeded.push(why),
  };
}

export function fakeDelta(current: () => Snapshot | undefined): { stream: DeltaStream; record: Recorded } {
  const record: Recorded = { sent: [], acks: [], nacks: [], stale: [], exceeded: [] };
  const stream = new DeltaStream(
    current,
    events<DeltaDiscoveryResponse>(record, (r) => ({
      type: SHORT_NAME[r.typeUrl],
      names: r.resources.map((x) => x.name),
      removed: [...r.removed],
      version: r.systemVersion,
    })),
  );
  return { stream, record };
}

export function fakeSotw(current: () => Snapshot | undefined): { stream: SotwStream; record: Recorded } {
  const record: Recorded = { sent: [], acks: [], nacks: [], stale: [], exceeded: [] };
  const stream = new SotwStream(
    current,
    events<DiscoveryResponse>(record, (r) => ({
      type: SHORT_NAME[r.typeUrl],
      names: [...r.resources.keys()],
      version: r.version,
    })),
  );
  return { stream, record };
}
