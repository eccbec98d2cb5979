// An immutable snapshot of everything served: per type, each resource encoded to protobuf bytes exactly
// once (as the Any that goes into a DiscoveryResponse) and a version that is a hash of the content, so
// an unchanged type keeps its version across rebuilds and restarts and Envoy is not sent it again.

import { createHash, hash as digestOnce } from 'node:crypto';
import protobuf from 'protobufjs';
import { encodeAny, encodeMessage } from '../proto/encode.js';
import { JSON_OPTIONS, messageType } from '../proto/registry.js';
import type { Resource, ResourcesByType } from '../resources/resource.js';
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
import { byName } from '../order.js';

export interface EncodedResource {
  readonly name: string;
  readonly body: Resource['body'];
  /** google.protobuf.Any bytes, reused for every stream and every response. */
  readonly any: Uint8Array;
  /** A hash of the content: the per-resource version Delta xDS clients are told and tell back. */
  readonly version: string;
  /** Names of resources of the next type down that this one needs (route configs, clusters). */
  readonly references: readonly string[];
}

export interface TypeSnapshot {
  readonly version: string;
  readonly resources: ReadonlyMap<string, EncodedResource>;
}

/**
 * How a client takes its routes: `whole`, one route configuration with every virtual host in it (all
 * State-of-the-World clients), or `per-host`, a route configuration whose virtual hosts come one by
 * one over VHDS (Delta xDS), so that a change to one host sends that host alone.
 */
export type RoutingView = 'whole' | 'per-host';

export class Snapshot {
  /** Made by SnapshotEncoder (or Snapshot.fromResources), which encodes and versions every type. */
  constructor(
    private readonly types: Readonly<Record<TypeUrl, TypeSnapshot>>,
    /** Route configurations of the per-host view; the whole ones when absent. */
    private readonly perHostRoutes?: TypeSnapshot,
  ) {}

  /** Encodes everything; `encoder` carries encodings over from the previous build. */
  static fromResources(resources: ResourcesByType, encoder: SnapshotEncoder = new SnapshotEncoder()): Snapshot {
    return encoder.build(resources);
  }

  type(typeUrl: TypeUrl, view: RoutingView = 'whole'): TypeSnapshot {
    if (view === 'per-host' && typeUrl === ROUTE_TYPE && this.perHostRoutes) return this.perHostRoutes;
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
    for (const listener of this.types[LISTENER_TYPE].resources.values()) {
      for (const route of listener.references)
        if (!has(ROUTE_TYPE, route)) problems.push(`listener ${listener.name} needs route configuration ${route}, which is missing`);
      for (const secret of secretsOf(listener.body))
        if (!has(SECRET_TYPE, secret)) problems.push(`listener ${listener.name} needs secret ${secret}, which is missing`);
    }
    for (const route of this.types[ROUTE_TYPE].resources.values()) {
      for (const cluster of route.references)
        if (!has(CLUSTER_TYPE, cluster)) problems.push(`route configuration ${route.name} sends traffic to cluster ${cluster}, which is missing`);
    }
    for (const vhost of this.types[VIRTUAL_HOST_TYPE].resources.values()) {
      for (const cluster of vhost.references)
        if (!has(CLUSTER_TYPE, cluster)) problems.push(`virtual host ${vhost.name} sends traffic to cluster ${cluster}, which is missing`);
    }
    for (const cluster of this.types[CLUSTER_TYPE].resources.values()) {
      for (const assignment of cluster.references)
        if (!has(ENDPOINT_TYPE, assignment)) problems.push(`cluster ${cluster.name} needs endpoints ${assignment}, which are missing`);
    }
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
 * Builds snapshots, reusing the encoding of every resource whose content did not change since the
 * last build: a change to one Ingress re-encodes its own resources, not the other thousands.
 * A body object seen before is its entry at once. Another body is looked up by its JSON when its type
 * is made anew on every build (listeners, secrets), else encoded and looked up by its content hash.
 */
/**
 * A resource's version is a hash of its bytes, so equal content has an equal version on every replica.
 * The one-shot `crypto.hash` costs half of a `createHash` object for bodies this small (50,000 of them
 * in a cold build of 10,000 Ingresses).
 */
function contentVersion(value: Uint8Array): string {
  return digestOnce('sha256', value, 'hex').slice(0, 16);
}

/** An encoded resource as the encoder keeps it: its protobuf value and its content key too. */
type EncoderEntry = EncodedResource & { value: Uint8Array; key: string };

export class SnapshotEncoder {
  /**
   * The entry of every body object seen. Weak: a body no build uses any more is forgotten with it, so
   * nothing is rebuilt per build (a per-build map of 50,000 bodies cost more than the encoding saved).
   */
  private readonly byBody = new WeakMap<object, EncoderEntry>();
  /** Per type (and `per-host` for the per-host route configurations): the last build's entries. */
  private readonly slots = new Map<string, { entries: EncoderEntry[]; byKey: ReadonlyMap<string, EncoderEntry>; snapshot: TypeSnapshot }>();

  build(resources: ResourcesByType): Snapshot {
    const types = {} as Record<TypeUrl, TypeSnapshot>;
    for (const typeUrl of PUSH_ORDER) types[typeUrl] = this.encodeType(typeUrl, typeUrl, resources[typeUrl] ?? []);
    const perHost = resources.perHostRoutes && this.encodeType(ROUTE_TYPE, 'per-host', resources.perHostRoutes);
    return new Snapshot(types, perHost);
  }

  private routeConfiguration(resource: Resource, type: protobuf.Type, known: (key: string) => EncoderEntry | undefined): EncoderEntry {
    const value = encodeRouteConfiguration(type, resource.body as Parameters<typeof encodeRouteConfiguration>[1]);
    const version = contentVersion(value);
    // The content hash is the key: an unchanged configuration finds its entry of the last build.
    const key = `${ROUTE_TYPE}\u0000${resource.name}\u0000#${version}`;
    return (
      known(key) ?? {
        name: resource.name,
        body: resource.body,
        value,
        any: encodeAny(ROUTE_TYPE, value),
        version,
        references: referencesOf(ROUTE_TYPE, resource),
        key,
      }
    );
  }

  private encode(typeUrl: TypeUrl, type: protobuf.Type, resource: Resource, key?: string): EncoderEntry {
    const value = encodeMessage(type, resource.body);
    const version = contentVersion(value);
    return {
      name: resource.name,
      body: resource.body,
      value,
      any: encodeAny(typeUrl, value),
      version,
      references: referencesOf(typeUrl, resource),
      key: key ?? `${typeUrl}\u0000${resource.name}\u0000#${version}`,
    };
  }

  private encodeType(typeUrl: TypeUrl, slot: string, resources: readonly Resource[]): TypeSnapshot {
    const type = messageType(messageName(typeUrl));
    const before = this.slots.get(slot);
    const made = new Map<string, EncoderEntry>();
    const known = (key: string) => before?.byKey.get(key) ?? made.get(key);
    const entries: EncoderEntry[] = [];
    const remade = typeUrl === LISTENER_TYPE || typeUrl === SECRET_TYPE || slot === 'per-host';
    const sorted = isSortedByName(resources) ? resources : [...resources].sort(byName);
    for (const resource of sorted) {
      let entry = this.byBody.get(resource.body);
      if (!entry || entry.name !== resource.name) {
        if (typeUrl === ROUTE_TYPE && hasVirtualHosts(resource.body)) {
          entry = this.routeConfiguration(resource, type, known);
        } else if (remade) {
          // Listeners, secrets and the per-host route configuration are made anew on every build:
          // their JSON finds the last build's entry without encoding them again.
          const key = `${typeUrl}\u0000${resource.name}\u0000${JSON.stringify(resource.body)}`;
          entry = known(key) ?? this.encode(typeUrl, type, resource, key);
        } else {
          // Clusters, endpoints and virtual hosts keep their body while unchanged: a body not seen
          // before is almost always new content, so it is encoded, and its content hash still finds
          // the last build's entry when the content is the same.
          const made = this.encode(typeUrl, type, resource);
          entry = known(made.key) ?? made;
        }
        made.set(entry.key, entry);
        this.byBody.set(resource.body, entry);
      }
      entries.push(entry);
    }
    // A type whose every resource is the one of the last build keeps its snapshot, version and map:
    // whoever compares by identity (the streams) sees at once that nothing changed.
    if (before && before.entries.length === entries.length && before.entries.every((e, i) => e === entries[i])) return before.snapshot;
    const hash = createHash('sha256');
    const encoded = new Map<string, EncodedResource>();
    const byKey = new Map<string, EncoderEntry>();
    for (const entry of entries) {
      if (encoded.has(entry.name)) throw new Error(`two ${SHORT_NAME[typeUrl]} resources are named ${entry.name}`);
      hash.update(entry.name).update('\u0000').update(entry.version).update('\u0000');
      encoded.set(entry.name, entry);
      byKey.set(entry.key, entry);
    }
    const snapshot = { version: hash.digest('hex').slice(0, 16), resources: encoded };
    // Only the entries of this build are kept by key, so memory follows the size of the configuration.
    this.slots.set(slot, { entries, byKey, snapshot });
    return snapshot;
  }
}

/**
 * A route configuration is mostly its virtual hosts, and a change touches few of them. Protobuf lets
 * a message be written as the concatenation of its fields, so the configuration is its other fields
 * followed by each virtual host's bytes, kept per virtual host body (which translation keeps for an
 * unchanged host): a one-host change encodes one host, not a thousand.
 */
const virtualHostBytes = new WeakMap<object, Uint8Array>();

function hasVirtualHosts(body: Resource['body']): body is Resource['body'] & { virtual_hosts: Array<Record<string, unknown>> } {
  return Array.isArray(body.virtual_hosts) && body.virtual_hosts.length > 0;
}

function encodeRouteConfiguration(type: protobuf.Type, body: Resource['body'] & { virtual_hosts: Array<Record<string, unknown>> }): Uint8Array {
  const vhostType = messageType('envoy.config.route.v3.VirtualHost');
  const head = encodeMessage(type, { ...body, virtual_hosts: [] });
  const parts: Uint8Array[] = [head];
  for (const vhost of body.virtual_hosts) {
    let bytes = virtualHostBytes.get(vhost);
    if (!bytes) {
      bytes = encodeMessage(vhostType, vhost);
      virtualHostBytes.set(vhost, bytes);
    }
    // Field 2 (virtual_hosts), length-delimited.
    parts.push(
      protobuf.Writer.create()
        .uint32((2 << 3) | 2)
        .uint32(bytes.length)
        .finish(),
      bytes,
    );
  }
  return Buffer.concat(parts);
}

function isSortedByName(resources: readonly Resource[]): boolean {
  for (let i = 1; i < resources.length; i++) if (resources[i - 1]!.name > resources[i]!.name) return false;
  return true;
}

// The few fields of resource bodies this module reads back: which secrets a listener needs, which
// route configuration it names, which clusters a virtual host routes to.
interface ListenerFields {
  filter_chains?: Array<{
    filters?: Array<{ typed_config?: { rds?: { route_config_name?: unknown } } }>;
    transport_socket?: { typed_config?: { common_tls_context?: { tls_certificate_sds_secret_configs?: Array<{ name: string }> } } };
  }>;
}
interface VirtualHostFields {
  routes?: Array<{ route?: { cluster?: string; weighted_clusters?: { clusters?: Array<{ name: string }> } } }>;
}
interface RouteConfigurationFields {
  virtual_hosts?: VirtualHostFields[];
}
interface ClusterFields {
  type?: string;
  eds_cluster_config?: { service_name?: string };
}
interface SecretJson {
  tls_certificate?: { certificate_chain?: { inline_bytes?: string; inline_string?: string }; [field: string]: unknown };
  [field: string]: unknown;
}

/** SDS secret names a listener's filter chains need. */
function secretsOf(body: ListenerFields): string[] {
  const names: string[] = [];
  for (const chain of body.filter_chains ?? []) {
    for (const config of chain.transport_socket?.typed_config?.common_tls_context?.tls_certificate_sds_secret_configs ?? []) names.push(config.name);
  }
  return names;
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

// Kept per virtual host body, which translation keeps for an unchanged host: a route configuration of
// a thousand hosts is walked for the one that changed.
const hostClusters = new WeakMap<object, readonly string[]>();
function clustersOfHost(vhost: VirtualHostFields): readonly string[] {
  let clusters = hostClusters.get(vhost);
  if (!clusters) {
    const found = new Set<string>();
    for (const route of vhost.routes ?? []) {
      if (route.route?.cluster) found.add(route.route.cluster);
      for (const wc of route.route?.weighted_clusters?.clusters ?? []) found.add(wc.name);
    }
    clusters = [...found];
    hostClusters.set(vhost, clusters);
  }
  return clusters;
}

function referencesOf(typeUrl: TypeUrl, resource: Resource): string[] {
  switch (typeUrl) {
    case LISTENER_TYPE:
      return ((resource.body as ListenerFields).filter_chains ?? []).flatMap((chain) =>
        (chain.filters ?? []).map((f) => f.typed_config?.rds?.route_config_name).filter((n): n is string => typeof n === 'string'),
      );
    case ROUTE_TYPE:
    case VIRTUAL_HOST_TYPE: {
      const clusters = new Set<string>();
      const hosts = typeUrl === ROUTE_TYPE ? ((resource.body as RouteConfigurationFields).virtual_hosts ?? []) : [resource.body as VirtualHostFields];
      for (const vhost of hosts) for (const c of clustersOfHost(vhost)) clusters.add(c);
      return [...clusters].sort();
    }
    case CLUSTER_TYPE: {
      const body = resource.body as ClusterFields;
      return body.type === 'EDS' ? [body.eds_cluster_config?.service_name || resource.name] : [];
    }
    default:
      return [];
  }
}
