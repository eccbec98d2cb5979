// What every ADS stream does, whichever protocol it speaks: keep the node, admit or refuse a type,
// match replies to responses (ACK, NACK, stale nonce), and decide what each type should hold now and
// when it may be sent. The protocol variants (sotw.ts, delta.ts) only read requests and shape responses.
//
// Ordering (xDS rule 6 in docs/design.md): a change goes out as CDS, then EDS, then LDS, then RDS and
// VHDS, and a type is held back until the types before it are settled on this stream (sent at the
// wanted version and acknowledged, and every EDS cluster's endpoints delivered). So routes never name
// a cluster Envoy is still warming. Clusters that Envoy's running routes still use stay in CDS until
// the new routes are acknowledged; then a last CDS response drops them.

import type { EncodedResource, RoutingView, Snapshot, TypeSnapshot } from '../snapshot/snapshot.js';
import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  PUSH_ORDER,
  ROUTE_TYPE,
  SECRET_TYPE,
  SHORT_NAME,
  VIRTUAL_HOST_TYPE,
  isTypeUrl,
  type TypeUrl,
} from '../proto/type-urls.js';
import { truncate } from '../log-limit.js';
import { NACK_TEXT_LIMIT, isNack, type ErrorDetail, type StreamEvents, type XdsNode } from './protocol.js';
import { TypeState } from './stream-state.js';
import { NameSet } from './name-set.js';
import { clientKind, type ClientKind } from './client-kind.js';
import { withKeptClusters } from '../snapshot/sent-version.js';
import { namesOverLimit } from './limits.js';

/** What a stream should hold of one type now. */
export interface Desired {
  version: string;
  resources: ReadonlyMap<string, EncodedResource>;
}

/** Whether the subscription takes every resource of the type (then the snapshot's own map is shared). */
function coversAll(state: TypeState, current: TypeSnapshot): boolean {
  if (current.lookup) return false;
  if (state.names.size < current.resources.size) return false;
  // By name alone (not VHDS's namespaces), the answer belongs to the set of names, which the streams
  // with the same subscription share (a set never changed once made; a stream's own overlay changes,
  // and is not remembered): worked out once for them all.
  const byNames = state.typeUrl !== VIRTUAL_HOST_TYPE && !state.wildcard && !(state.names instanceof NameSet);
  const known = byNames ? namesCoverMemo.get(state.names)?.get(current) : undefined;
  if (known !== undefined) return known;
  let value = true;
  for (const name of current.resources.keys()) {
    if (state.covers(name)) continue;
    value = false;
    break;
  }
  if (byNames) {
    let byCurrent = namesCoverMemo.get(state.names);
    if (!byCurrent) namesCoverMemo.set(state.names, (byCurrent = new WeakMap()));
    byCurrent.set(current, value);
  }
  return value;
}
const namesCoverMemo = new WeakMap<ReadonlySet<string>, WeakMap<TypeSnapshot, boolean>>();

const INTERNED_NAMES_LIMIT = 256;
const subsets = new WeakMap<TypeSnapshot, Map<string, ReadonlyMap<string, EncodedResource>>>();

function internSubset(current: TypeSnapshot, chosen: ReadonlyMap<string, EncodedResource>): ReadonlyMap<string, EncodedResource> {
  if (chosen.size > INTERNED_NAMES_LIMIT) return chosen;
  const key = [...chosen.keys()].sort().join('\u0000');
  let byNames = subsets.get(current);
  if (!byNames) subsets.set(current, (byNames = new Map()));
  const known = byNames.get(key);
  if (known) return known;
  byNames.set(key, chosen);
  return chosen;
}

// Whether every cluster of `clusters` has its endpoints in `applied` (when the snapshot has them). A pure
// function of three maps the streams in step share: worked out once for the fleet, not once per
// stream (2,000 clusters each for 1,000 proxies connecting at once).
const deliveredMemo = new WeakMap<object, WeakMap<object, WeakMap<object, boolean>>>();

function endpointsDelivered(clusters: ReadonlyMap<string, EncodedResource>, applied: ReadonlyMap<string, EncodedResource>, current: TypeSnapshot): boolean {
  let byApplied = deliveredMemo.get(clusters);
  if (!byApplied) deliveredMemo.set(clusters, (byApplied = new WeakMap()));
  let byCurrent = byApplied.get(applied);
  if (!byCurrent) byApplied.set(applied, (byCurrent = new WeakMap()));
  const known = byCurrent.get(current);
  if (known !== undefined) return known;
  let value = true;
  outer: for (const cluster of clusters.values()) {
    for (const assignment of cluster.references) {
      if (!applied.has(assignment) && current.resources.has(assignment)) {
        value = false;
        break outer;
      }
    }
  }
  byCurrent.set(current, value);
  return value;
}

export abstract class AdsStream<Response> {
  readonly types: Record<TypeUrl, TypeState>;
  node: XdsNode | undefined;
  abstract readonly protocol: 'sotw' | 'delta';
  /** Types this client asked for and is not served. */
  private readonly refusedTypes = new Set<TypeUrl>();

  constructor(
    protected readonly snapshot: () => Snapshot | undefined,
    protected readonly events: StreamEvents<Response>,
    /** How an Envoy on this protocol takes its routes: whole (SotW) or per host over VHDS (Delta). */
    private readonly envoyRouting: RoutingView,
  ) {
    this.types = Object.fromEntries(PUSH_ORDER.map((t) => [t, new TypeState(t)])) as Record<TypeUrl, TypeState>;
  }

  /** The client's kind, known from the node of its first request (envoy until then). */
  kind: ClientKind = 'envoy';

  /** How this client takes its routes: a proxyless gRPC client its own way, an Envoy as its protocol has it. */
  get routing(): RoutingView {
    return this.kind === 'grpc' ? 'grpc' : this.envoyRouting;
  }

  /** The snapshot of the last full pump; `stale` says something else moved since (a request, a held type). */
  private pumpedWith: Snapshot | undefined;
  protected stale = true;

  /**
   * Called when the cache publishes a new snapshot, after every request, and when a write completes.
   * What a stream should send changes only with the snapshot, a request, or a type that had to wait
   * for its last write: otherwise there is nothing to look at, and a fleet's thousand write callbacks
   * per flip cost nothing.
   */
  pump(): void {
    const snapshot = this.snapshot();
    if (!snapshot || (!this.stale && snapshot === this.pumpedWith)) return;
    this.stale = false;
    this.pumpedWith = snapshot;
    for (const typeUrl of PUSH_ORDER) {
      const state = this.types[typeUrl];
      if (!state.requested || state.wantsNothing) continue;
      if (!this.events.canSend(typeUrl)) {
        this.stale = true; // look again once that write is done
        continue;
      }
      if (!this.dependenciesSettled(typeUrl, snapshot)) continue;
      this.respond(state, this.desired(typeUrl, snapshot));
    }
  }

  /** After a request: answer it now, or when the server's scheduler says (it coalesces bursts). */
  protected afterRequest(): void {
    this.stale = true;
    if (this.events.schedule) this.events.schedule();
    else this.pump();
  }

  /** False (and the stream refused) when a request would take the subscription past its limit. */
  protected withinLimits(state: TypeState, names: number): boolean {
    const why = namesOverLimit(this.kind, state.typeUrl === LISTENER_TYPE, names);
    if (why === undefined) return true;
    this.events.exceeded(`${SHORT_NAME[state.typeUrl]}: ${why}`);
    return false;
  }

  /** Sends what `state` lacks of `desired`, if anything; the variant decides the response's shape. */
  protected abstract respond(state: TypeState, desired: Desired): void;

  /** The node is only sent on the first request of a stream (xDS rule 2); then the type is checked. */
  protected admit(node: XdsNode | undefined, typeUrl: string): TypeState | undefined {
    if (this.node === undefined && node) {
      this.node = node;
      this.kind = clientKind(node);
    }
    if (!isTypeUrl(typeUrl)) {
      this.events.unknownType(typeUrl);
      return undefined;
    }
    if (!this.events.mayServe(typeUrl)) {
      this.refusedTypes.add(typeUrl);
      this.events.refused(typeUrl);
      return undefined;
    }
    return this.types[typeUrl];
  }

  /**
   * A request that answers a response: ACK or NACK. False for a nonce that is not the latest sent
   * of the type (a reply to a superseded response, which a newer request will follow).
   */
  protected reply(state: TypeState, nonce: string, error: ErrorDetail | null | undefined): boolean {
    if (!state.sent || nonce !== state.sent.nonce) {
      this.events.staleNonce(state.typeUrl, nonce);
      return false;
    }
    state.awaitingReply = false;
    if (isNack(error)) {
      // Envoy's text is kept short: it is shown, logged and put in diagnostics, and a client can
      // send a megabyte of it.
      const message = truncate(String(error.message ?? ''), NACK_TEXT_LIMIT);
      state.lastNack = { version: state.sent.version, message, at: new Date().toISOString() };
      // The client keeps running what it had: that is what it holds.
      state.held = state.applied;
      this.events.nack(state.typeUrl, state.sent.version, message, state.ackedVersion);
    } else {
      state.ackedVersion = state.sent.version;
      state.applied = state.sent.resources;
      this.events.ack(state.typeUrl, state.sent.version);
    }
    return true;
  }

  /**
   * A client drops what it unsubscribes from, and a name it asks for again must then be sent again
   * even though it did not change (xDS rule 5): the names sent and no longer subscribed are noted as
   * forgotten until the next response.
   */
  protected forgetUnsubscribed(state: TypeState, dropped?: Iterable<string>): void {
    const sent = state.sent;
    if (!sent || state.wildcard) return;
    // Noted rather than copied out of what was sent: that map is shared by the streams in step, and
    // an Envoy drops an EDS name with every cluster it loses. Given the names a request dropped, only
    // those are looked at: a one-name unsubscribe costs one name, not the thousands held.
    for (const name of dropped ?? sent.resources.keys()) {
      if (!sent.resources.has(name) || state.covers(name) || state.forgotten.has(name)) continue;
      state.forget(name);
    }
  }

  /** The type's version moved, or a newly subscribed name has not been sent yet (xDS rule 5). */
  protected needsResponse(state: TypeState, desired: Desired): boolean {
    if (!state.sent) return true;
    if (state.sent.version !== desired.version) return true;
    for (const name of state.forgotten) if (desired.resources.has(name)) return true;
    if (state.sent.resources === desired.resources) return false;
    for (const name of desired.resources.keys()) if (!state.sent.resources.has(name)) return true;
    return false;
  }

  private settled(typeUrl: TypeUrl, snapshot: Snapshot): boolean {
    const state = this.types[typeUrl];
    // A type the client dropped entirely holds nothing back: the routes that follow cannot name it.
    if (!state.requested || state.wantsNothing) return true;
    if (!state.sent || state.awaitingReply || state.ackedVersion !== state.sent.version) return false;
    return !this.needsResponse(state, this.desired(typeUrl, snapshot));
  }

  private dependenciesSettled(typeUrl: TypeUrl, snapshot: Snapshot): boolean {
    // Envoy asks for secrets only once a listener needs them, and keeps that listener warming until
    // they arrive: holding them back would deadlock.
    if (typeUrl === CLUSTER_TYPE || typeUrl === ENDPOINT_TYPE || typeUrl === SECRET_TYPE) return true;
    if (!this.settled(CLUSTER_TYPE, snapshot) || !this.settled(ENDPOINT_TYPE, snapshot)) return false;
    if (!this.endpointsDelivered(snapshot)) return false;
    return typeUrl === LISTENER_TYPE || this.settled(LISTENER_TYPE, snapshot);
  }

  /** Every EDS cluster Envoy has must have its endpoints before routes may point at it. */
  private endpointsDelivered(snapshot: Snapshot): boolean {
    const clusters = this.types[CLUSTER_TYPE];
    if (!clusters.requested || !clusters.sent) return true;
    return endpointsDelivered(clusters.sent.resources, this.types[ENDPOINT_TYPE].applied, snapshot.type(ENDPOINT_TYPE));
  }

  private readonly subscribedMemo = new Map<TypeUrl, { current: TypeSnapshot; subscription: number; value: Desired }>();
  private readonly retainedMemo = new Map<TypeUrl, { key: unknown[]; value: Desired }>();

  /** What this stream should hold of `typeUrl` now. */
  protected desired(typeUrl: TypeUrl, snapshot: Snapshot): Desired {
    const state = this.types[typeUrl];
    const current = snapshot.type(typeUrl, this.routing);
    const subscribed = this.subscribed(state, current);
    // Stale clusters go last: while Envoy runs routes that use a cluster the snapshot dropped, keep it.
    // Only possible while this stream is between two versions of the type.
    if ((typeUrl !== CLUSTER_TYPE && typeUrl !== ENDPOINT_TYPE) || !state.sent || state.sent.version === current.version) return subscribed;
    const key = [subscribed, state.sent, this.types[ROUTE_TYPE].applied, this.types[VIRTUAL_HOST_TYPE].applied];
    const memo = this.retainedMemo.get(typeUrl);
    if (memo && memo.key.every((k, i) => k === key[i])) return memo.value;
    const value = this.withRetained(state, current, subscribed);
    this.retainedMemo.set(typeUrl, { key, value });
    return value;
  }

  // desired() is asked for on every request and every publish, for every type, by every stream: with
  // thousands of clusters the filtered set is made once per snapshot and subscription, and reused.
  private subscribed(state: TypeState, current: TypeSnapshot): Desired {
    const memo = this.subscribedMemo.get(state.typeUrl);
    if (memo && memo.current === current && memo.subscription === state.subscriptionVersion) return memo.value;
    let resources = current.resources;
    // Listeners made on demand (a gRPC client's) cannot be enumerated: a wildcard takes the named ones.
    if ((!state.wildcard || current.lookup) && !coversAll(state, current)) {
      const chosen = new Map<string, EncodedResource>();
      if (current.lookup) {
        for (const name of state.names) {
          const resource = current.lookup(name);
          if (resource) chosen.set(name, resource);
        }
      } else if (state.typeUrl === VIRTUAL_HOST_TYPE) {
        for (const [name, resource] of current.resources) if (state.covers(name)) chosen.set(name, resource);
      } else {
        for (const name of state.names) {
          const resource = current.resources.get(name);
          if (resource) chosen.set(name, resource);
        }
      }
      // A stream that asks for every resource of the type (Envoy's EDS names every cluster) shares the
      // snapshot's own map, and streams asking for the same few names share one: a fleet holds one
      // map, not one per stream, and the server encodes one response for all of them.
      resources = internSubset(current, chosen);
    }
    const value = { version: current.version, resources };
    this.subscribedMemo.set(state.typeUrl, { current, subscription: state.subscriptionVersion, value });
    return value;
  }

  private withRetained(state: TypeState, current: TypeSnapshot, subscribed: Desired): Desired {
    const inUse = this.clustersInUse();
    const retained: Array<[string, EncodedResource]> = [];
    for (const [name, resource] of state.sent?.resources ?? []) {
      if (current.resources.has(name) || !inUse.has(name)) continue;
      if (state.typeUrl === ENDPOINT_TYPE && !state.names.has(name)) continue;
      retained.push([name, resource]);
    }
    if (retained.length === 0) return subscribed;
    const resources = new Map([...subscribed.resources, ...retained]);
    return {
      version: withKeptClusters(
        current.version,
        retained.map(([name]) => name),
      ),
      resources,
    };
  }

  private clustersInUse(): Set<string> {
    const inUse = new Set<string>();
    for (const typeUrl of [ROUTE_TYPE, VIRTUAL_HOST_TYPE] as const) {
      for (const route of this.types[typeUrl].applied.values()) for (const c of route.references) inUse.add(c);
    }
    return inUse;
  }

  /** A summary for /debug/streams. */
  /** The node as the debug pages show it; its fields are the client's words, cut to a readable length. */
  nodeSummary(): { id: string; cluster: string; userAgent: string } | null {
    if (!this.node) return null;
    const text = (value: unknown) => truncate(String(value ?? ''), 256);
    return {
      id: text(this.node.id),
      cluster: text(this.node.cluster),
      userAgent: text([this.node.user_agent_name, userAgentVersion(this.node)].filter(Boolean).join(' ')),
    };
  }

  describe(): Record<string, unknown> {
    const types: Record<string, unknown> = {};
    for (const typeUrl of PUSH_ORDER) {
      const s = this.types[typeUrl];
      if (!s.requested) continue;
      types[SHORT_NAME[typeUrl]] = {
        subscribed: s.wildcard ? '*' : [...s.names].sort(),
        sentVersion: s.sent?.version ?? null,
        ackedVersion: s.ackedVersion ?? null,
        awaitingReply: s.awaitingReply,
        lastNack: s.lastNack ?? null,
      };
    }
    const node = this.nodeSummary();
    const refused = [...this.refusedTypes].map((t) => SHORT_NAME[t]);
    const out: Record<string, unknown> = { protocol: this.protocol, routing: this.routing, node, types };
    if (refused.length > 0) out.refused = refused;
    return out;
  }
}

// Envoy sends its version as a SemanticVersion message (major_number, minor_number, patch) inside
// user_agent_build_version, older clients as the string user_agent_version.
function userAgentVersion(node: XdsNode): string | undefined {
  const build = node.user_agent_build_version as { version?: { major_number?: number; minor_number?: number; patch?: number } } | undefined;
  const v = build?.version;
  if (v && (v.major_number !== undefined || v.minor_number !== undefined)) return `${v.major_number ?? 0}.${v.minor_number ?? 0}.${v.patch ?? 0}`;
  return typeof node.user_agent_version === 'string' ? node.user_agent_version : undefined;
}
