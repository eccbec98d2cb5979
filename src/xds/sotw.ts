// One State-of-the-World ADS stream: every request names the whole subscription of its type, and
// every response carries everything the stream should hold of that type. Ordering, ACK/NACK and
// subscriptions are shared with Delta in ads-stream.ts.

import type { Snapshot } from '../snapshot/snapshot.js';
import { CLUSTER_TYPE, LISTENER_TYPE, isWildcardCapable } from '../proto/type-urls.js';
import type { EncodedResource } from '../snapshot/snapshot.js';
import { AdsStream, type Desired } from './ads-stream.js';
import type { DiscoveryRequest, DiscoveryResponse, StreamEvents } from './protocol.js';
import type { TypeState } from './stream-state.js';

export class SotwStream extends AdsStream<DiscoveryResponse> {
  readonly protocol = 'sotw';

  // SotW clients cannot take virtual hosts one by one (VHDS is Delta only): routes go whole.
  constructor(snapshot: () => Snapshot | undefined, events: StreamEvents<DiscoveryResponse>) {
    super(snapshot, events, 'whole');
  }

  onRequest(request: DiscoveryRequest): void {
    const state = this.admit(request.node, request.type_url);
    if (!state) return;
    const nonce = request.response_nonce ?? '';
    if (nonce !== '') {
      // SotW: a request answering a superseded response is ignored whole (xDS rule 4).
      if (!this.reply(state, nonce, request.error_detail)) return;
    } else if (!state.requested && request.version_info) {
      this.resumeFrom(state, request);
    }
    if (!this.withinLimits(state, (request.resource_names ?? []).length)) return;
    const subscription = state.subscriptionVersion;
    state.replace(request.resource_names ?? []);
    if (state.subscriptionVersion !== subscription) this.forgetUnsubscribed(state);
    this.afterRequest();
  }

  protected respond(state: TypeState, desired: Desired): void {
    if (!this.needsResponse(state, desired)) return;
    if (state.sent && !isWildcardCapable(state.typeUrl) && nothingNew(state, desired.resources)) {
      // EDS, RDS and SDS are asked for by name, and a name the server no longer has is not withdrawn
      // (the client drops it with the cluster or listener that named it). When the type's version moved
      // only because names went away, there is nothing to send, and a response would not be answered:
      // an Envoy that has just lost its last EDS cluster accepts it without an ACK, and every route
      // change after it would wait for that ACK forever.
      const settled = !state.awaitingReply && state.ackedVersion === state.sent.version;
      state.sent = { version: desired.version, nonce: state.sent.nonce, resources: desired.resources };
      if (settled) {
        state.ackedVersion = desired.version;
        state.applied = desired.resources;
      }
      return;
    }
    const nonce = this.events.send({ version: desired.version, typeUrl: state.typeUrl, resources: desired.resources });
    state.sent = { version: desired.version, nonce, resources: desired.resources };
    state.awaitingReply = true;
  }

  // On reconnect a SotW client sends the version it has (xDS rule 7), to this replica or to another:
  // versions are content hashes, equal on every replica for equal content. A type's version covers every
  // resource of the type, so at an equal version the client holds exactly what we would send, whether it
  // takes the whole type (LDS, CDS) or names what it wants (EDS, RDS): nothing is sent again.
  private resumeFrom(state: TypeState, request: DiscoveryRequest): void {
    const snapshot = this.snapshot();
    if (!snapshot || request.version_info !== snapshot.version(state.typeUrl, this.routing)) return;
    const current = snapshot.type(state.typeUrl, this.routing);
    const names = request.resource_names ?? [];
    let resources = current.resources;
    if (names.length > 0 && !(names.length === 1 && names[0] === '*')) {
      const held = new Map<string, EncodedResource>();
      for (const name of names) {
        const resource = current.lookup ? current.lookup(name) : current.resources.get(name);
        if (resource) held.set(name, resource);
      }
      resources = held;
    } else if (state.typeUrl !== LISTENER_TYPE && state.typeUrl !== CLUSTER_TYPE) {
      return; // EDS and RDS are asked for by name: a request naming none holds nothing
    }
    state.sent = { version: request.version_info, nonce: '', resources };
    state.ackedVersion = request.version_info;
    state.applied = resources;
  }
}

/** Whether the client holds every resource of `desired` as it is now (sent, and not dropped since). */
function nothingNew(state: TypeState, desired: ReadonlyMap<string, EncodedResource>): boolean {
  const sent = state.sent!.resources;
  for (const name of state.forgotten) if (desired.has(name)) return false;
  if (sent === desired) return true;
  for (const [name, resource] of desired) {
    const had = sent.get(name);
    if (had !== resource && had?.version !== resource.version) return false;
  }
  return true;
}
