// Encoding resources for snapshots: each resource to protobuf bytes exactly once (as the Any that goes
// into a DiscoveryResponse), with a content-hash version per resource and per type, reusing the
// encoding of every resource whose content did not change since the last build.

import { hash as digestOnce } from 'node:crypto';
import type protobuf from 'protobufjs';
import { encodeAny, encodeMessage } from '../proto/encode.js';
import { messageType } from '../proto/registry.js';
import type { Resource, ResourcesByType } from '../resources/resource.js';
import { LISTENER_TYPE, PUSH_ORDER, ROUTE_TYPE, SECRET_TYPE, SHORT_NAME, messageName, type TypeUrl } from '../proto/type-urls.js';
import { byName } from '../order.js';
import { referencesOf } from './references.js';
import { derivationOf } from '../resources/derived-list.js';
import { LayeredMap } from '../model/layered-map.js';
import { ComposedRoute, hasVirtualHosts, type RouteBody } from './composed-route.js';
import { chunkDigests, rehashChunks, versionOf } from './type-version.js';

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

/**
 * How a type's snapshot was made from the last one by replacing resources in place: the resources put
 * in, every other name holding the very same resource. Streams in step and the snapshot's check use it
 * to look at what changed rather than at 10,000 resources.
 */
export interface TypePatch {
  readonly base: TypeSnapshot;
  readonly changed: readonly EncodedResource[];
}
const patches = new WeakMap<ReadonlyMap<string, EncodedResource>, TypePatch>();

/** How a type's resources (the map of a TypeSnapshot) were patched from the last build's, if they were. */
export function patchOf(resources: ReadonlyMap<string, EncodedResource>): TypePatch | undefined {
  return patches.get(resources);
}

/** The text a resource adds to its type's version: its name and its version. */
const versionText = (entry: EncodedResource) => `${entry.name}\u0000${entry.version}`;

/** What the encoder keeps of a type between builds. */
interface Slot {
  /** The resources it was given, which translation may hand back changed in places (derived-list.ts). */
  resources: readonly Resource[];
  entries: EncoderEntry[];
  /** The type version's chunk digests (type-version.ts). */
  chunks: Buffer[];
  snapshot: TypeSnapshot;
}

export class ResourceEncoder {
  /**
   * The entry of every body object seen. Weak: a body no build uses any more is forgotten with it, so
   * nothing is rebuilt per build (a per-build map of 50,000 bodies cost more than the encoding saved).
   */
  private readonly byBody = new WeakMap<object, EncoderEntry>();
  /** Per type (and `per-host` for the per-host route configurations): the last build's entries. */
  private readonly slots = new Map<string, Slot>();

  encodeAll(resources: ResourcesByType): EncodedTypes {
    const types = {} as Record<TypeUrl, TypeSnapshot>;
    for (const typeUrl of PUSH_ORDER) types[typeUrl] = this.encodeType(typeUrl, typeUrl, resources[typeUrl] ?? []);
    const perHost = resources.perHostRoutes && this.encodeType(ROUTE_TYPE, 'per-host', resources.perHostRoutes);
    return { types, perHost };
  }

  /** Encodes one type into `slot` (the type URL, `per-host` or `grpc`), reusing the slot's last build. */
  encodeType(typeUrl: TypeUrl, slot: string, resources: readonly Resource[]): TypeSnapshot {
    const before = this.slots.get(slot);
    // The very list of the last build (translation hands back an unchanged list as it was), or the same
    // bodies in the same order: the last snapshot as it is, without a lookup per resource.
    if (before && (before.resources === resources || sameBodies(before.entries, resources))) {
      before.resources = resources;
      return before.snapshot;
    }
    const made = new Map<string, EncoderEntry>();
    const entryOf = this.entryMaker(typeUrl, before, made);
    const derivation = derivationOf(resources);
    if (before && derivation?.base === before.resources) {
      const patched = this.patch(before, resources, derivation.at, entryOf);
      if (patched) return patched;
    }
    const sorted = isSortedByName(resources) ? resources : [...resources].sort(byName);
    const entries = sorted.map(entryOf);
    // A type whose every resource is the one of the last build keeps its snapshot, version and map:
    // whoever compares by identity (the streams) sees at once that nothing changed.
    if (before && before.entries.length === entries.length && before.entries.every((e, i) => e === entries[i])) {
      before.resources = resources;
      return before.snapshot;
    }
    const encoded = new Map<string, EncodedResource>();
    for (const entry of entries) {
      if (encoded.has(entry.name)) throw new Error(`two ${SHORT_NAME[typeUrl]} resources are named ${entry.name}`);
      encoded.set(entry.name, entry);
    }
    const chunks = chunkDigests(entries, versionText);
    const snapshot = { version: versionOf(chunks), resources: encoded };
    // Only the entries of this build are kept, so memory follows the size of the configuration.
    this.slots.set(slot, { resources, entries, chunks, snapshot });
    return snapshot;
  }

  /**
   * The last snapshot with the resources at places `at` replaced, when they keep their names (the list
   * is otherwise the last one, place for place); undefined when a name changed.
   */
  private patch(before: Slot, resources: readonly Resource[], at: readonly number[], entryOf: (resource: Resource) => EncoderEntry): TypeSnapshot | undefined {
    const entries = before.entries.slice();
    const changed: EncoderEntry[] = [];
    const places: number[] = [];
    for (const i of at) {
      const resource = resources[i]!;
      if (resource.name !== entries[i]?.name) return undefined;
      const entry = entryOf(resource);
      if (entry === entries[i]) continue;
      entries[i] = entry;
      changed.push(entry);
      places.push(i);
    }
    if (changed.length === 0) {
      before.resources = resources;
      return before.snapshot;
    }
    // A map over the last one with the changes on top: copying 20,000 entries cost more than the change.
    const encoded = new LayeredMap<string, EncodedResource>(before.snapshot.resources);
    for (const entry of changed) encoded.set(entry.name, entry);
    const chunks = rehashChunks(before.chunks, entries, places, versionText);
    const snapshot = { version: versionOf(chunks), resources: encoded };
    // One link back, no more: the last snapshot's own patch is done with (its streams and its check
    // have seen it), and a chain of every build's types would keep them all.
    patches.delete(before.snapshot.resources);
    patches.set(encoded, { base: before.snapshot, changed });
    Object.assign(before, { resources, entries, chunks, snapshot });
    return snapshot;
  }

  /** How each resource of one type finds or makes its entry in this build. */
  private entryMaker(typeUrl: TypeUrl, before: Slot | undefined, made: Map<string, EncoderEntry>): (resource: Resource) => EncoderEntry {
    const type = messageType(messageName(typeUrl));
    // The last build's entry of the same name and content (its key says both), found by name: no map of
    // every key is made per build.
    const known = (name: string, key: string) => {
      const last = before?.snapshot.resources.get(name) as EncoderEntry | undefined;
      return last?.key === key ? last : made.get(key);
    };
    const isRemade = typeUrl === LISTENER_TYPE || typeUrl === SECRET_TYPE;
    return (resource) => {
      let entry = this.byBody.get(resource.body);
      if (entry && entry.name === resource.name) return entry;
      if (typeUrl === ROUTE_TYPE && hasVirtualHosts(resource.body)) {
        const last = before?.snapshot.resources.get(resource.name);
        const composed = ComposedRoute.of(resource as Resource & { body: RouteBody }, last instanceof ComposedRoute ? last : undefined);
        entry = known(resource.name, composed.key) ?? composed;
      } else if (isRemade || isPerHost(resource.body)) {
        // Listeners, secrets and the per-host route configurations are made anew on every build:
        // their JSON finds the last build's entry without encoding them again.
        const key = `${typeUrl}\u0000${resource.name}\u0000${JSON.stringify(resource.body)}`;
        entry = known(resource.name, key) ?? encodeEntry(typeUrl, type, resource, key);
      } else {
        // Clusters, endpoints and virtual hosts keep their body while unchanged: a body not seen
        // before is almost always new content, so it is encoded, and its content hash still finds
        // the last build's entry when the content is the same.
        const fresh = encodeEntry(typeUrl, type, resource);
        entry = known(resource.name, fresh.key) ?? fresh;
      }
      made.set(entry.key, entry);
      this.byBody.set(resource.body, entry);
      return entry;
    };
  }
}

/** A route configuration whose virtual hosts come by VHDS: a small body, made anew on every build. */
function isPerHost(body: Resource['body']): boolean {
  return body.vhds !== undefined;
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
