// A route configuration as the concatenation of its virtual hosts. Protobuf lets a message be written
// as the concatenation of its fields, so the configuration is its other fields followed by each virtual
// host's bytes, kept per virtual host body (translation keeps an unchanged host's body). A one-host
// change at 10,000 hosts then encodes one host and hashes one chunk of hosts again (type-version.ts);
// the 1.6 MB of the whole configuration are put together only when a client that takes it whole
// (State of the World) is sent it, and the clusters it names only when someone asks.

import protobuf from 'protobufjs';
import { encodeAny, encodeMessage } from '../proto/encode.js';
import { messageType } from '../proto/registry.js';
import { ROUTE_TYPE } from '../proto/type-urls.js';
import type { Resource } from '../resources/resource.js';
import { derivationOf } from '../resources/derived-list.js';
import { clustersOfHost } from './references.js';
import { chunkDigests, rehashChunks, versionOf } from './type-version.js';

/** One virtual host as a field of its route configuration: its bytes framed as field 2, and what it names. */
interface HostPart {
  readonly framed: Uint8Array;
  readonly references: readonly string[];
}

const parts = new WeakMap<object, HostPart>();
function partOf(vhost: Record<string, unknown>): HostPart {
  let part = parts.get(vhost);
  if (!part) {
    const bytes = encodeMessage(messageType('envoy.config.route.v3.VirtualHost'), vhost);
    // Field 2 (virtual_hosts), length-delimited, in front of the host's bytes, in one buffer.
    const framed = protobuf.Writer.create()
      .uint32((2 << 3) | 2)
      .bytes(bytes)
      .finish();
    part = { framed, references: clustersOfHost(vhost) };
    parts.set(vhost, part);
  }
  return part;
}

const framedOf = (part: HostPart) => part.framed;

export type RouteBody = Resource['body'] & { virtual_hosts: Array<Record<string, unknown>> };

export function hasVirtualHosts(body: Resource['body']): body is RouteBody {
  return Array.isArray(body.virtual_hosts) && body.virtual_hosts.length > 0;
}

export class ComposedRoute {
  readonly version: string;
  readonly key: string;
  private whole: Uint8Array | undefined;
  private wholeAny: Uint8Array | undefined;
  private named: string[] | undefined;

  private constructor(
    readonly name: string,
    readonly body: RouteBody,
    /** The configuration's other fields, encoded. */
    private readonly head: Uint8Array,
    private readonly hosts: readonly HostPart[],
    private readonly chunks: readonly Buffer[],
    /** The configuration this one was made from by replacing hosts in place, and the hosts it replaced them with. */
    readonly base: ComposedRoute | undefined,
    private readonly replaced: readonly HostPart[],
  ) {
    this.version = versionOf(chunks, head);
    this.key = `${ROUTE_TYPE}\u0000${name}\u0000#${this.version}`;
  }

  /**
   * The configuration of `resource`, made from `last` (the last build's of the same name) by replacing
   * the hosts that changed, when translation made its hosts' list from `last`'s place by place.
   */
  static of(resource: Resource & { body: RouteBody }, last: ComposedRoute | undefined): ComposedRoute {
    const body = resource.body;
    const head = encodeMessage(messageType('envoy.config.route.v3.RouteConfiguration'), { ...body, virtual_hosts: [] });
    const derivation = derivationOf(body.virtual_hosts);
    if (last && derivation && derivation.base === last.body.virtual_hosts && Buffer.compare(head, last.head) === 0) {
      // Only one link back is kept: the last configuration's own base is checked and done with.
      last.forgetBase();
      const hosts = last.hosts.slice();
      const replaced: HostPart[] = [];
      for (const i of derivation.at) {
        const part = partOf(body.virtual_hosts[i]!);
        if (part === hosts[i]) continue;
        hosts[i] = part;
        replaced.push(part);
      }
      return new ComposedRoute(resource.name, body, head, hosts, rehashChunks(last.chunks, hosts, derivation.at, framedOf), last, replaced);
    }
    const hosts = body.virtual_hosts.map(partOf);
    return new ComposedRoute(resource.name, body, head, hosts, chunkDigests(hosts, framedOf), undefined, []);
  }

  /** The RouteConfiguration message, put together on first use. */
  get value(): Uint8Array {
    return (this.whole ??= Buffer.concat([this.head, ...this.hosts.map(framedOf)]));
  }

  get any(): Uint8Array {
    return (this.wholeAny ??= encodeAny(ROUTE_TYPE, this.value));
  }

  /** The clusters its hosts send traffic to, in no particular order (every reader takes them as a set). */
  get references(): readonly string[] {
    if (!this.named) {
      const clusters = new Set<string>();
      for (const host of this.hosts) for (const c of host.references) clusters.add(c);
      this.named = [...clusters];
    }
    return this.named;
  }

  /** What the hosts put in place since `base` name: all a check needs when `base` was found complete. */
  referencesSinceBase(): string[] {
    const names: string[] = [];
    for (const host of this.replaced) for (const c of host.references) names.push(c);
    return names;
  }

  /** Drops the link to the configuration it was made from: no chain of builds is kept alive. */
  private forgetBase(): void {
    (this as { base: ComposedRoute | undefined }).base = undefined;
  }
}
