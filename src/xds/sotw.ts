// One State-of-the-World ADS stream: nonces, ACK/NACK, subscriptions and make-before-break ordering.
//
// Ordering (DESIGN xDS rule 6): a change goes out as CDS, then EDS, then LDS, then RDS, and a type is
// held back until the types before it are settled on this stream (sent at the wanted version and
// acknowledged, and every EDS cluster's endpoints delivered). So routes never name a cluster Envoy is
// still warming. Clusters that Envoy's running routes still use stay in CDS until the new routes are
// acknowledged; then a last CDS response drops them.

import { createHash } from 'node:crypto';
import type { EncodedResource, Snapshot, TypeSnapshot } from '../snapshot/snapshot.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, PUSH_ORDER, ROUTE_TYPE, SECRET_TYPE, SHORT_NAME, isTypeUrl, type TypeUrl } from '../resources/type-urls.js';
import { truncate } from '../log-limit.js';
import { NACK_TEXT_LIMIT, type DiscoveryRequest, type StreamEvents } from './protocol.js';
import { TypeState } from './stream-state.js';

interface Desired {
  version: string;
  resources: Map<string, EncodedResource>;
}

export class SotwStream {
  readonly types: Record<TypeUrl, TypeState>;
  node: DiscoveryRequest['node'];
  private nonceCounter = 0;
  /** Types this client asked for and is not served. */
  private readonly refusedTypes = new Set<TypeUrl>();

  constructor(private readonly snapshot: () => Snapshot | undefined, private readonly events: StreamEvents) {
    this.types = Object.fromEntries(PUSH_ORDER.map((t) => [t, new TypeState(t)])) as Record<TypeUrl, TypeState>;
  }

  onRequest(request: DiscoveryRequest): void {
    // The node is only sent on the first request of a stream (DESIGN xDS rule 2).
    if (this.node === undefined && request.node) this.node = request.node;
    if (!isTypeUrl(request.type_url)) {
      this.events.unknownType(request.type_url);
      return;
    }
    if (!this.events.mayServe(request.type_url)) {
      this.refusedTypes.add(request.type_url);
      this.events.refused(request.type_url);
      return;
    }
    const state = this.types[request.type_url];
    const nonce = request.response_nonce ?? '';
    if (nonce !== '') {
      if (!state.sent || nonce !== state.sent.nonce) {
        // A reply to a response that has since been superseded: a newer request will follow.
        this.events.staleNonce(state.typeUrl, nonce);
        return;
      }
      state.awaitingReply = false;
      if (request.error_detail && (request.error_detail.message || request.error_detail.code)) {
        // Envoy's text is kept short: it is shown, logged and put in diagnostics, and a client can
        // send a megabyte of it.
        const message = truncate(String(request.error_detail.message ?? ''), NACK_TEXT_LIMIT);
        state.lastNack = { version: state.sent.version, message, at: new Date().toISOString() };
        this.events.nack(state.typeUrl, state.sent.version, message, state.ackedVersion);
      } else {
        state.ackedVersion = state.sent.version;
        state.applied = state.sent.resources;
        this.events.ack(state.typeUrl, state.sent.version);
      }
    } else if (!state.requested && request.version_info) {
      this.resumeFrom(state, request);
    }
    state.subscribe(request.resource_names ?? []);
    this.pump();
  }

  /** Called when the cache publishes a new snapshot. */
  pump(): void {
    const snapshot = this.snapshot();
    if (!snapshot) return;
    for (const typeUrl of PUSH_ORDER) {
      const state = this.types[typeUrl];
      if (!state.requested || !this.events.canSend(typeUrl) || !this.dependenciesSettled(typeUrl, snapshot)) continue;
      const desired = this.desired(typeUrl, snapshot);
      if (!this.needsResponse(state, desired)) continue;
      const nonce = String(++this.nonceCounter);
      state.sent = { version: desired.version, nonce, resources: desired.resources };
      state.awaitingReply = true;
      this.events.send({ version: desired.version, typeUrl, nonce, resources: [...desired.resources.values()] });
    }
  }

  // On reconnect a SotW client sends the version it has (DESIGN xDS rule 7). For LDS and CDS, whose
  // responses are the full state, an equal version means it already has exactly what we would send.
  private resumeFrom(state: TypeState, request: DiscoveryRequest): void {
    const snapshot = this.snapshot();
    if (!snapshot || (state.typeUrl !== LISTENER_TYPE && state.typeUrl !== CLUSTER_TYPE)) return;
    if ((request.resource_names ?? []).length > 0 || request.version_info !== snapshot.version(state.typeUrl)) return;
    const resources = snapshot.type(state.typeUrl).resources;
    state.sent = { version: request.version_info, nonce: '', resources };
    state.ackedVersion = request.version_info;
    state.applied = resources;
  }

  private needsResponse(state: TypeState, desired: Desired): boolean {
    if (!state.sent) return true;
    if (state.sent.version !== desired.version) return true;
    if (state.sent.resources === desired.resources) return false;
    // Newly requested names are sent even if the type's version did not change (DESIGN xDS rule 5).
    for (const name of desired.resources.keys()) if (!state.sent.resources.has(name)) return true;
    return false;
  }

  private settled(typeUrl: TypeUrl, snapshot: Snapshot): boolean {
    const state = this.types[typeUrl];
    if (!state.requested) return true;
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

  private endpointsMemo: { key: unknown[]; value: boolean } | undefined;

  /** Every EDS cluster Envoy has must have its endpoints before routes may point at it. */
  private endpointsDelivered(snapshot: Snapshot): boolean {
    const clusters = this.types[CLUSTER_TYPE];
    const endpoints = this.types[ENDPOINT_TYPE];
    if (!clusters.requested) return true;
    const key = [clusters.sent, endpoints.applied, snapshot.type(ENDPOINT_TYPE)];
    if (this.endpointsMemo && this.endpointsMemo.key.every((k, i) => k === key[i])) return this.endpointsMemo.value;
    let value = true;
    outer: for (const cluster of clusters.sent?.resources.values() ?? []) {
      for (const assignment of cluster.references) {
        if (!endpoints.applied.has(assignment) && snapshot.type(ENDPOINT_TYPE).resources.has(assignment)) {
          value = false;
          break outer;
        }
      }
    }
    this.endpointsMemo = { key, value };
    return value;
  }

  private readonly subscribedMemo = new Map<TypeUrl, { current: TypeSnapshot; subscription: number; value: Desired }>();
  private readonly retainedMemo = new Map<TypeUrl, { key: unknown[]; value: Desired }>();

  /** What this stream should have of `typeUrl` now. */
  private desired(typeUrl: TypeUrl, snapshot: Snapshot): Desired {
    const state = this.types[typeUrl];
    const current = snapshot.type(typeUrl);
    const subscribed = this.subscribed(state, current);
    // Stale clusters go last: while Envoy runs routes that use a cluster the snapshot dropped, keep it.
    // Only possible while this stream is between two versions of the type.
    if ((typeUrl !== CLUSTER_TYPE && typeUrl !== ENDPOINT_TYPE) || !state.sent || state.sent.version === current.version) return subscribed;
    const key = [subscribed, state.sent, this.types[ROUTE_TYPE].applied];
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
    let resources = current.resources as Map<string, EncodedResource>;
    if (!state.wildcard) {
      resources = new Map();
      for (const name of state.names) {
        const resource = current.resources.get(name);
        if (resource) resources.set(name, resource);
      }
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
    const suffix = createHash('sha256').update(retained.map(([n]) => n).sort().join('\u0000')).digest('hex').slice(0, 8);
    return { version: `${current.version}+${suffix}`, resources };
  }

  private clustersInUse(): Set<string> {
    const inUse = new Set<string>();
    for (const route of this.types[ROUTE_TYPE].applied.values()) for (const c of route.references) inUse.add(c);
    return inUse;
  }

  /** A summary for /debug/streams. */
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
    // Node fields are the client's words: shown cut to a readable length.
    const text = (value: unknown) => truncate(String(value ?? ''), 256);
    const node = this.node
      ? { id: text(this.node.id), cluster: text(this.node.cluster), userAgent: text([this.node.user_agent_name, (this.node.user_agent_build_version as any)?.version ?? this.node.user_agent_version].filter(Boolean).join(' ')) }
      : null;
    const refused = [...this.refusedTypes].map((t) => SHORT_NAME[t]);
    return refused.length > 0 ? { node, types, refused } : { node, types };
  }
}
