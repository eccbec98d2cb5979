// Encoding resources for snapshots: each resource to protobuf bytes exactly once (as the Any that goes
// into a DiscoveryResponse), with a content-hash version per resource and per type, reusing the
// encoding of every resource whose content did not change since the last build.

import { hash as digestOnce } from 'node:crypto';
import protobuf from 'protobufjs';
import { encodeAny, encodeMessage } from '../proto/encode.js';
import { messageType } from '../proto/registry.js';
import type { Resource, ResourcesByType } from '../resources/resource.js';
import { LISTENER_TYPE, PUSH_ORDER, ROUTE_TYPE, SECRET_TYPE, SHORT_NAME, messageName, type TypeUrl } from '../proto/type-urls.js';
import { byName } from '../order.js';
import { referencesOf } from './references.js';

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
  /**
   * For a type whose names are open (gRPC listeners: one per target a client dials), `resources` lists
   * none and this makes the resource a name asks for, or says there is none.
   */
  readonly lookup?: (name: string) => EncodedResource | undefined;
}

/** Every type encoded, and the per-host route configurations when the resources have them. */
export interface EncodedTypes {
  types: Record<TypeUrl, TypeSnapshot>;
  perHost: TypeSnapshot | undefined;
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

function encodeEntry(typeUrl: TypeUrl, type: protobuf.Type, resource: Resource, key?: string): EncoderEntry {
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

/** One resource encoded on its own, outside any build (made on demand, as gRPC listeners are). */
export function encodeResource(typeUrl: TypeUrl, resource: Resource): EncodedResource {
  return encodeEntry(typeUrl, messageType(messageName(typeUrl)), resource);
}

export class ResourceEncoder {
  /**
   * The entry of every body object seen. Weak: a body no build uses any more is forgotten with it, so
   * nothing is rebuilt per build (a per-build map of 50,000 bodies cost more than the encoding saved).
   */
  private readonly byBody = new WeakMap<object, EncoderEntry>();
  /** Per type (and `per-host` for the per-host route configurations): the last build's entries. */
  private readonly slots = new Map<string, { entries: EncoderEntry[]; snapshot: TypeSnapshot }>();

  encodeAll(resources: ResourcesByType): EncodedTypes {
    const types = {} as Record<TypeUrl, TypeSnapshot>;
    for (const typeUrl of PUSH_ORDER) types[typeUrl] = this.encodeType(typeUrl, typeUrl, resources[typeUrl] ?? []);
    const perHost = resources.perHostRoutes && this.encodeType(ROUTE_TYPE, 'per-host', resources.perHostRoutes);
    return { types, perHost };
  }

  private routeConfiguration(resource: Resource, type: protobuf.Type, known: (name: string, key: string) => EncoderEntry | undefined): EncoderEntry {
    const value = encodeRouteConfiguration(type, resource.body as Parameters<typeof encodeRouteConfiguration>[1]);
    const version = contentVersion(value);
    // The content hash is the key: an unchanged configuration finds its entry of the last build.
    const key = `${ROUTE_TYPE}\u0000${resource.name}\u0000#${version}`;
    return (
      known(resource.name, key) ?? {
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

  /** Encodes one type into `slot` (the type URL, `per-host` or `grpc`), reusing the slot's last build. */
  encodeType(typeUrl: TypeUrl, slot: string, resources: readonly Resource[]): TypeSnapshot {
    const type = messageType(messageName(typeUrl));
    const before = this.slots.get(slot);
    const made = new Map<string, EncoderEntry>();
    // The last build's entry of the same name and content (its key says both), found by name: no map of
    // every key is made per build.
    const known = (name: string, key: string) => {
      const last = before?.snapshot.resources.get(name) as EncoderEntry | undefined;
      return last?.key === key ? last : made.get(key);
    };
    const entries: EncoderEntry[] = [];
    const remade = typeUrl === LISTENER_TYPE || typeUrl === SECRET_TYPE || slot === 'per-host';
    // The same bodies in the same order as the last build (translation keeps an unchanged resource's
    // body): the last snapshot as it is, without a lookup per resource.
    if (before && sameBodies(before.entries, resources)) return before.snapshot;
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
          entry = known(resource.name, key) ?? encodeEntry(typeUrl, type, resource, key);
        } else {
          // Clusters, endpoints and virtual hosts keep their body while unchanged: a body not seen
          // before is almost always new content, so it is encoded, and its content hash still finds
          // the last build's entry when the content is the same.
          const made = encodeEntry(typeUrl, type, resource);
          entry = known(resource.name, made.key) ?? made;
        }
        made.set(entry.key, entry);
        this.byBody.set(resource.body, entry);
      }
      entries.push(entry);
    }
    // A type whose every resource is the one of the last build keeps its snapshot, version and map:
    // whoever compares by identity (the streams) sees at once that nothing changed.
    if (before && before.entries.length === entries.length && before.entries.every((e, i) => e === entries[i])) return before.snapshot;
    const encoded = new Map<string, EncodedResource>();
    // The type's version hashes every name and version, in name order: the same bytes as one update per
    // field, fed at once (a hash update per field was most of the cost of versioning a thousand hosts).
    const text: string[] = [];
    for (const entry of entries) {
      if (encoded.has(entry.name)) throw new Error(`two ${SHORT_NAME[typeUrl]} resources are named ${entry.name}`);
      text.push(entry.name, entry.version);
      encoded.set(entry.name, entry);
    }
    const snapshot = { version: digestOnce('sha256', text.length > 0 ? `${text.join('\u0000')}\u0000` : '', 'hex').slice(0, 16), resources: encoded };
    // Only the entries of this build are kept, so memory follows the size of the configuration.
    this.slots.set(slot, { entries, snapshot });
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

function sameBodies(entries: readonly EncoderEntry[], resources: readonly Resource[]): boolean {
  if (entries.length !== resources.length) return false;
  for (let i = 0; i < entries.length; i++) if (entries[i]!.body !== resources[i]!.body || entries[i]!.name !== resources[i]!.name) return false;
  return true;
}

function isSortedByName(resources: readonly Resource[]): boolean {
  for (let i = 1; i < resources.length; i++) if (resources[i - 1]!.name > resources[i]!.name) return false;
  return true;
}
