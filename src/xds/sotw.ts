// One State-of-the-World ADS stream: every request names the whole subscription of its type, and
// every response carries everything the stream should hold of that type. Ordering, ACK/NACK and
// subscriptions are shared with Delta in ads-stream.ts.

import type { Snapshot } from '../snapshot/snapshot.js';
import { CLUSTER_TYPE, LISTENER_TYPE } from '../proto/type-urls.js';
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
    const subscription = state.subscriptionVersion;
    state.replace(request.resource_names ?? []);
    if (state.subscriptionVersion !== subscription) this.forgetUnsubscribed(state);
    this.stale = true;
    this.pump();
  }

  protected respond(state: TypeState, desired: Desired): void {
    if (!this.needsResponse(state, desired)) return;
    const nonce = this.events.send({ version: desired.version, typeUrl: state.typeUrl, resources: desired.resources });
    state.sent = { version: desired.version, nonce, resources: desired.resources };
    state.awaitingReply = true;
  }

  // On reconnect a SotW client sends the version it has (xDS rule 7). For LDS and CDS, whose
  // responses are the full state, an equal version means it already has exactly what we would send.
  private resumeFrom(state: TypeState, request: DiscoveryRequest): void {
    const snapshot = this.snapshot();
    if (!snapshot || (state.typeUrl !== LISTENER_TYPE && state.typeUrl !== CLUSTER_TYPE)) return;
    if ((request.resource_names ?? []).length > 0 || request.version_info !== snapshot.version(state.typeUrl, this.routing)) return;
    const resources = snapshot.type(state.typeUrl, this.routing).resources;
    state.sent = { version: request.version_info, nonce: '', resources };
    state.ackedVersion = request.version_info;
    state.applied = resources;
  }
}
