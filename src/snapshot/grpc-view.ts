// The snapshot as proxyless gRPC clients see it: listeners made on demand from the names they ask for
// (their targets), and one route configuration per virtual host in gRPC's subset of the route API.
// Both are made on first use, so an Envoy-only fleet never pays for them; clusters and endpoints are
// the ones Envoy gets.

import { createHash } from 'node:crypto';
import { LISTENER_TYPE, ROUTE_TYPE } from '../proto/type-urls.js';
import { grpcListener, grpcRouteConfigName, hostOfGrpcRouteConfig } from '../resources/grpc.js';
import { resolveTarget } from '../resources/grpc-target.js';
import type { Resource } from '../resources/resource.js';
import { encodeResource, type EncodedResource, type ResourceEncoder, type TypeSnapshot } from './encoder.js';

/** Listener names kept per host set; past it a name is made each time it is asked for (a hostile client may ask for millions). */
const LISTENER_MEMO_LIMIT = 4096;

const NONE: ReadonlyMap<string, EncodedResource> = new Map();

export class GrpcView {
  private routeSnapshot: TypeSnapshot | undefined;
  private listenerSnapshot: TypeSnapshot | undefined;

  constructor(
    private readonly encoder: ResourceEncoder,
    private readonly makeRoutes: (() => Resource[]) | undefined,
    /** The listener type of the last view that made one, shared by the encoder's views: kept while the hosts are the same. */
    private readonly last: { listeners?: TypeSnapshot },
  ) {}

  routes(): TypeSnapshot {
    return (this.routeSnapshot ??= this.encoder.encodeType(ROUTE_TYPE, 'grpc', this.makeRoutes?.() ?? []));
  }

  listeners(): TypeSnapshot {
    if (this.listenerSnapshot) return this.listenerSnapshot;
    const hosts = new Set<string>();
    for (const name of this.routes().resources.keys()) {
      const host = hostOfGrpcRouteConfig(name);
      if (host !== undefined) hosts.add(host);
    }
    const version = createHash('sha256')
      .update([...hosts].sort().join('\u0000'))
      .digest('hex')
      .slice(0, 16);
    // A listener depends only on its name and the set of hosts: while the hosts stay, so do the listeners.
    const previous = this.last.listeners;
    this.listenerSnapshot = previous?.version === version ? previous : onDemandListeners(version, hosts);
    this.last.listeners = this.listenerSnapshot;
    return this.listenerSnapshot;
  }
}

function onDemandListeners(version: string, hosts: ReadonlySet<string>): TypeSnapshot {
  const made = new Map<string, EncodedResource | null>();
  return {
    version,
    resources: NONE,
    lookup(name) {
      const known = made.get(name);
      if (known !== undefined) return known ?? undefined;
      const host = resolveTarget(name, hosts);
      const listener = host === undefined ? null : encodeResource(LISTENER_TYPE, grpcListener(name, grpcRouteConfigName(host)));
      if (made.size < LISTENER_MEMO_LIMIT) made.set(name, listener);
      return listener ?? undefined;
    },
  };
}
