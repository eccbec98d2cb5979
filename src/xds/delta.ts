// One Delta (incremental) ADS stream: requests add and drop names, and a response carries only the
// resources the client lacks or holds at another version, plus the names it holds that are gone.
// Ordering, ACK/NACK and subscriptions are shared with State of the World in ads-stream.ts.
//
// What the client holds is tracked per type (TypeState.held): what was last sent, since a client
// applies a response unless it NACKs it, and what it still runs after a NACK. A reconnecting client
// says what it holds (initial_resource_versions); resources it holds at our version are not resent.

import type { EncodedResource, Snapshot } from '../snapshot/snapshot.js';
import { patchOf } from '../snapshot/encoder.js';
import { AdsStream, type Desired } from './ads-stream.js';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, StreamEvents } from './protocol.js';
import type { TypeState } from './stream-state.js';
import { VIRTUAL_HOST_TYPE } from '../proto/type-urls.js';

export interface Difference {
  added: EncodedResource[];
  removed: string[];
}

// Streams in step hold the same map (the last snapshot's) and are brought to the same map (the
// current one): their difference is worked out once and shared, so a flip costs the fleet one pass
// over the type, not one per stream.
const shared = new WeakMap<ReadonlyMap<string, EncodedResource>, WeakMap<ReadonlyMap<string, EncodedResource>, Difference>>();

/**
 * What a client holding `held` (and `initial`, name → version) lacks of `desired`, and what is gone.
 * Names in `dropped` the client let go of by itself: it does not hold them, whatever `held` says.
 */
export function difference(
  held: ReadonlyMap<string, EncodedResource>,
  initial: ReadonlyMap<string, string> | undefined,
  desired: ReadonlyMap<string, EncodedResource>,
  dropped: ReadonlySet<string> = NOTHING_DROPPED,
): Difference {
  if (initial || dropped.size > 0) return compare(held, initial, desired, dropped);
  let byDesired = shared.get(held);
  if (!byDesired) shared.set(held, (byDesired = new WeakMap()));
  let result = byDesired.get(desired);
  if (!result) byDesired.set(desired, (result = compare(held, undefined, desired)));
  return result;
}

const NOTHING_DROPPED: ReadonlySet<string> = new Set();

function compare(
  held: ReadonlyMap<string, EncodedResource>,
  initial: ReadonlyMap<string, string> | undefined,
  desired: ReadonlyMap<string, EncodedResource>,
  dropped: ReadonlySet<string> = NOTHING_DROPPED,
): Difference {
  const added: EncodedResource[] = [];
  const removed: string[] = [];
  if (held === desired && !initial && dropped.size === 0) return { added, removed };
  // The next build's map made from the one held by replacing resources: what was put in is all there is to look at.
  const patch = patchOf(desired);
  if (patch && patch.base.resources === held && !initial && dropped.size === 0) {
    for (const resource of patch.changed) if (held.get(resource.name)?.version !== resource.version) added.push(resource);
    return { added, removed };
  }
  for (const [name, resource] of desired) {
    const had = dropped.has(name) ? undefined : held.get(name);
    if (had === resource || (had && had.version === resource.version)) continue;
    if (!had && initial?.get(name) === resource.version) continue;
    added.push(resource);
  }
  for (const name of held.keys()) if (!desired.has(name) && !dropped.has(name)) removed.push(name);
  for (const name of initial?.keys() ?? []) if (!desired.has(name) && !held.has(name)) removed.push(name);
  return { added, removed };
}

export class DeltaStream extends AdsStream<DeltaDiscoveryResponse> {
  readonly protocol = 'delta';

  // Delta clients take their virtual hosts one by one over VHDS: a weight flip sends one host.
  constructor(snapshot: () => Snapshot | undefined, events: StreamEvents<DeltaDiscoveryResponse>) {
    super(snapshot, events, 'per-host');
  }

  onRequest(request: DeltaDiscoveryRequest): void {
    const state = this.admit(request.node, request.type_url);
    if (!state) return;
    const first = !state.requested;
    const nonce = request.response_nonce ?? '';
    // Delta: a reply to a superseded response is no ACK or NACK, but its subscription changes still
    // apply (xDS rule 4).
    if (nonce !== '') this.reply(state, nonce, request.error_detail);
    const subscribe = request.resource_names_subscribe ?? [];
    if (!this.withinLimits(state, state.names.size + subscribe.length)) return;
    if (first) {
      const initial = Object.entries(request.initial_resource_versions ?? {});
      if (!this.withinLimits(state, initial.length)) return;
      if (initial.length > 0) state.initialVersions = new Map(initial);
    }
    const unsubscribe = request.resource_names_unsubscribe ?? [];
    state.change(subscribe, unsubscribe);
    // `*` and a VHDS namespace (`ingress_http`) drop names not listed: those are found by looking at all.
    const listed = state.typeUrl !== VIRTUAL_HOST_TYPE && !unsubscribe.includes('*');
    if (unsubscribe.length > 0) this.forgetUnsubscribed(state, listed ? unsubscribe : undefined);
    this.afterRequest();
  }

  protected respond(state: TypeState, desired: Desired): void {
    const first = !state.sent;
    if (!first && !this.needsResponse(state, desired)) return;
    const { added, removed } = difference(state.held, state.initialVersions, desired.resources, state.forgotten);
    state.initialVersions = undefined;
    if (!first && added.length === 0 && removed.length === 0) {
      // The type moved, but nothing this client takes of it: it already holds the new state.
      const settled = !state.awaitingReply && state.ackedVersion === state.sent!.version;
      state.sent = { version: desired.version, nonce: state.sent!.nonce, resources: desired.resources };
      state.held = desired.resources;
      if (settled) {
        state.ackedVersion = desired.version;
        state.applied = desired.resources;
      }
      return;
    }
    // The first response goes out even when empty: the client waits for it to finish its start-up.
    const nonce = this.events.send({ systemVersion: desired.version, typeUrl: state.typeUrl, resources: added, removed });
    state.sent = { version: desired.version, nonce, resources: desired.resources };
    state.held = desired.resources;
    state.awaitingReply = true;
  }
}
