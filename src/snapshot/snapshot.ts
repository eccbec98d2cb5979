// An immutable snapshot of everything served: per type, each resource encoded to protobuf bytes exactly
// once (as the Any that goes into a DiscoveryResponse) and a version that is a hash of the content, so
// an unchanged type keeps its version across rebuilds and restarts and Envoy is not sent it again.

import { JSON_OPTIONS, messageType } from '../proto/registry.js';
import type { ResourcesByType } from '../resources/resource.js';
import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  PUSH_ORDER,
  ROUTE_TYPE,
  SECRET_TYPE,
  SHORT_NAME,
  VIRTUAL_HOST_TYPE,
  messageName,
  type TypeUrl,
} from '../proto/type-urls.js';

import { createHash } from 'node:crypto';
import { ResourceEncoder, patchOf, type EncodedResource, type TypeSnapshot } from './encoder.js';
import { ComposedRoute } from './composed-route.js';
import { GrpcView } from './grpc-view.js';
import { secretsOf } from './references.js';

export type { EncodedResource, TypeSnapshot };

/**
 * How a client takes its routes: `whole`, one route configuration with every virtual host in it (all
 * State-of-the-World Envoys); `per-host`, a route configuration whose virtual hosts come one by one
 * over VHDS (Delta Envoys), so that a change to one host sends that host alone; or `grpc`, a listener
 * per target and a route configuration per host (proxyless gRPC clients, snapshot/grpc-view.ts).
 */
export type RoutingView = 'whole' | 'per-host' | 'grpc';

const EMPTY: TypeSnapshot = { version: createHash('sha256').digest('hex').slice(0, 16), resources: new Map() };

export class Snapshot {
  /** Made by SnapshotEncoder (or Snapshot.fromResources), which encodes and versions every type. */
  constructor(
    private readonly types: Readonly<Record<TypeUrl, TypeSnapshot>>,
    /** Route configurations of the per-host view; the whole ones when absent. */
    private readonly perHostRoutes?: TypeSnapshot,
    /** Listeners and routes of proxyless gRPC clients; none when absent. */
    private readonly grpc?: GrpcView,
  ) {}

  /** Encodes everything; `encoder` carries encodings over from the previous build. */
  static fromResources(resources: ResourcesByType, encoder: SnapshotEncoder = new SnapshotEncoder()): Snapshot {
    return encoder.build(resources);
  }

  type(typeUrl: TypeUrl, view: RoutingView = 'whole'): TypeSnapshot {
    if (view === 'per-host' && typeUrl === ROUTE_TYPE && this.perHostRoutes) return this.perHostRoutes;
    if (view === 'grpc') {
      // gRPC clients never get Envoy's listeners, routes or certificates, and Envoys never get theirs.
      if (typeUrl === LISTENER_TYPE) return this.grpc?.listeners() ?? EMPTY;
      if (typeUrl === ROUTE_TYPE) return this.grpc?.routes() ?? EMPTY;
      if (typeUrl === SECRET_TYPE || typeUrl === VIRTUAL_HOST_TYPE) return EMPTY;
    }
    return this.types[typeUrl];
  }

  version(typeUrl: TypeUrl, view: RoutingView = 'whole'): string {
    return this.type(typeUrl, view).version;
  }

  /** Clusters that the route configurations `routeNames` send traffic to. */
  clustersReferencedBy(routeNames: Iterable<string>): Set<string> {
    const out = new Set<string>();
    const routes = this.types[ROUTE_TYPE].resources;
    for (const name of routeNames) for (const cluster of routes.get(name)?.references ?? []) out.add(cluster);
    return out;
  }

  /** What would make Envoy wait forever or route to nothing: one line per problem, empty when there is none. */
  problems(): string[] {
    const problems: string[] = [];
    const has = (t: TypeUrl, name: string) => this.types[t].resources.has(name);
    const check = (from: TypeUrl, to: TypeUrl, say: (from: EncodedResource, name: string) => string) =>
      checkReferences(this.types[from], this.types[to], (resource, name) => problems.push(say(resource, name)));
    check(LISTENER_TYPE, ROUTE_TYPE, (l, route) => `listener ${l.name} needs route configuration ${route}, which is missing`);
    for (const listener of this.types[LISTENER_TYPE].resources.values()) {
      for (const secret of secretsOf(listener.body))
        if (!has(SECRET_TYPE, secret)) problems.push(`listener ${listener.name} needs secret ${secret}, which is missing`);
    }
    check(ROUTE_TYPE, CLUSTER_TYPE, (r, cluster) => `route configuration ${r.name} sends traffic to cluster ${cluster}, which is missing`);
    check(VIRTUAL_HOST_TYPE, CLUSTER_TYPE, (v, cluster) => `virtual host ${v.name} sends traffic to cluster ${cluster}, which is missing`);
    check(CLUSTER_TYPE, ENDPOINT_TYPE, (c, assignment) => `cluster ${c.name} needs endpoints ${assignment}, which are missing`);
    return problems;
  }

  /** Versions and resources as proto JSON, for /debug/snapshot. Private keys are redacted. */
  toJSON(): Record<string, { version: string; resources: unknown[] }> {
    const out: Record<string, { version: string; resources: unknown[] }> = {};
    for (const typeUrl of PUSH_ORDER) {
      const type = messageType(messageName(typeUrl));
      const { version, resources } = this.types[typeUrl];
      out[SHORT_NAME[typeUrl]] = {
        version,
        resources: [...resources.values()].map((r) => {
          const any = messageType('google.protobuf.Any').decode(r.any) as unknown as { value: Uint8Array };
          const json = type.toObject(type.decode(any.value), JSON_OPTIONS);
          return typeUrl === SECRET_TYPE ? redactSecret(json) : json;
        }),
      };
    }
    return out;
  }
}

/**
 * Builds snapshots, carrying encodings over from one build to the next (a change to one Ingress
 * re-encodes its own resources, not the other thousands).
 */
export class SnapshotEncoder {
  private readonly encoder = new ResourceEncoder();
  private readonly lastGrpc: { listeners?: TypeSnapshot } = {};

  build(resources: ResourcesByType): Snapshot {
    const { types, perHost } = this.encoder.encodeAll(resources);
    return new Snapshot(types, perHost, new GrpcView(this.encoder, resources.grpcRoutes, this.lastGrpc));
  }
}

interface SecretJson {
  tls_certificate?: { certificate_chain?: { inline_bytes?: string; inline_string?: string }; [field: string]: unknown };
  [field: string]: unknown;
}

// The debug view shows which certificate is served (its PEM is public anyway), never the key.
export const REDACTED = '[redacted: private keys are never shown]';
function redactSecret(json: SecretJson): SecretJson {
  const tls = json.tls_certificate;
  if (!tls) return json;
  const certificate = tls.certificate_chain?.inline_bytes;
  return {
    ...json,
    tls_certificate: {
      ...tls,
      certificate_chain: certificate ? { inline_string: Buffer.from(certificate, 'base64').toString('utf8') } : tls.certificate_chain,
      private_key: REDACTED,
    },
  };
}

/**
 * Pairs of types already found complete (every reference of `from` names a resource of `to`), and
 * per resource the `to` it was found complete against: a publish checks what changed, not the
 * 5,000 references of a thousand unchanged hosts again.
 */
const completePairs = new WeakMap<TypeSnapshot, WeakSet<TypeSnapshot>>();
const completeResources = new WeakMap<EncodedResource, WeakSet<TypeSnapshot>>();

function checkReferences(from: TypeSnapshot, to: TypeSnapshot, missing: (resource: EncodedResource, name: string) => void): void {
  if (completePairs.get(from)?.has(to)) return;
  let complete = true;
  // A type patched from one found complete against the same `to`: only what was put in is checked.
  const patch = patchOf(from.resources);
  const resources = patch && completePairs.get(patch.base)?.has(to) ? patch.changed : from.resources.values();
  for (const resource of resources) {
    if (completeResources.get(resource)?.has(to)) continue;
    let found = true;
    // A route configuration made from one found complete: only the hosts put in are checked.
    const base = resource instanceof ComposedRoute ? resource.base : undefined;
    const names = base && completeResources.get(base)?.has(to) ? (resource as ComposedRoute).referencesSinceBase() : resource.references;
    for (const name of names) {
      if (to.resources.has(name)) continue;
      found = false;
      missing(resource, name);
    }
    if (!found) {
      complete = false;
      continue;
    }
    let against = completeResources.get(resource);
    if (!against) completeResources.set(resource, (against = new WeakSet()));
    against.add(to);
  }
  if (!complete) return;
  let pairs = completePairs.get(from);
  if (!pairs) completePairs.set(from, (pairs = new WeakSet()));
  pairs.add(to);
}
