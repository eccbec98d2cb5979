// What one ADS stream has asked for and been sent, per type: the subscription model that State of the
// World and Delta share. Small and dumb on purpose: the protocol decisions live in ads-stream.ts,
// sotw.ts and delta.ts, which read and update this.
//
// The two protocols differ only in how a request changes the subscription: a SotW request carries
// the whole list of names (replace), a Delta request what to add and what to drop (change).

import type { EncodedResource } from '../snapshot/snapshot.js';
import { VIRTUAL_HOST_TYPE, isWildcardCapable, vhdsNamespace, type TypeUrl } from '../proto/type-urls.js';
import { NameSet } from './name-set.js';

export interface SentResponse {
  /** The type's version this stream was brought to (the snapshot's, or with `+<hash>` for kept clusters). */
  version: string;
  nonce: string;
  /** Everything the client holds of this type once it applies the response. */
  resources: ReadonlyMap<string, EncodedResource>;
}

const NONE: ReadonlyMap<string, EncodedResource> = new Map();
const NO_NAMES: ReadonlySet<string> = new Set();

// A fleet subscribes to the same names: every Envoy asks EDS for every cluster. A large name set is
// kept once for all the streams that hold the same names (a set is never changed once made; a
// change makes a new one), so a thousand streams do not hold a thousand copies of 2,000 names.
const INTERN_FROM = 64;
const interned = new Map<string, WeakRef<ReadonlySet<string>>>();
const forget = new FinalizationRegistry<string>((key) => {
  if (!interned.get(key)?.deref()) interned.delete(key);
});

// The set made last is the one the next stream most likely asks for: checked first, it saves sorting
// and joining 2,000 names per stream when a fleet connects.
let last: WeakRef<ReadonlySet<string>> | undefined;

/**
 * The set made from one request's list of names, by the list's identity: a request decoded once for the
 * whole fleet (ads-service.ts) gives every stream the same list, and so the same set, at no cost.
 */
const setsOfLists = new WeakMap<readonly string[], ReadonlySet<string>>();
function setOfList(list: readonly string[]): ReadonlySet<string> {
  let set = setsOfLists.get(list);
  if (!set) {
    set = intern(new Set(list.filter((n) => n !== '*')));
    setsOfLists.set(list, set);
  }
  return set;
}

function intern(names: Set<string>): ReadonlySet<string> {
  if (names.size < INTERN_FROM) return names;
  const recent = last?.deref();
  if (recent && recent.size === names.size && [...names].every((n) => recent.has(n))) return recent;
  const key = [...names].sort().join('\n');
  const known = interned.get(key)?.deref();
  if (known) {
    last = new WeakRef(known);
    return known;
  }
  interned.set(key, new WeakRef(names));
  forget.register(names, key);
  last = new WeakRef(names);
  return names;
}

export class TypeState {
  requested = false;
  wildcard = false;
  /**
   * Names explicitly subscribed; may include names that do not exist yet. SotW replaces the set (shared,
   * never changed); Delta changes its own overlay of a shared set (a NameSet, this state's alone).
   */
  names: ReadonlySet<string> = new Set<string>();
  private sentResponse: SentResponse | undefined;

  /** The last response sent; setting it (a response went out) clears `forgotten`. */
  get sent(): SentResponse | undefined {
    return this.sentResponse;
  }

  set sent(response: SentResponse | undefined) {
    this.sentResponse = response;
    this.forgotten = NO_NAMES;
  }
  /** True from a response until the client ACKs or NACKs that nonce. */
  awaitingReply = false;
  ackedVersion: string | undefined;
  /** Resources the client has accepted last (what it is running). */
  applied: ReadonlyMap<string, EncodedResource> = NONE;
  lastNack: { version: string; message: string; at: string } | undefined;
  /**
   * Names sent and then unsubscribed since the last response: the client dropped them, so asking for one
   * again must bring it again even though it did not change (xDS rule 5). Cleared by every response.
   */
  forgotten: ReadonlySet<string> = NO_NAMES;

  /** Notes a name the client dropped (see `forgotten`). */
  forget(name: string): void {
    if (this.forgotten === NO_NAMES) this.forgotten = new Set<string>();
    (this.forgotten as Set<string>).add(name);
  }
  /** Bumped whenever the subscription (wildcard or names) changes; lets the streams memoise per state. */
  subscriptionVersion = 0;
  /**
   * Delta only: what the client holds as far as we know, the base of the next difference. It is what
   * was last sent (the client applies a response unless it NACKs it), and what it runs after a NACK.
   */
  held: ReadonlyMap<string, EncodedResource> = NONE;
  /** Delta only: the versions a reconnecting client said it holds, until the first response. */
  initialVersions: ReadonlyMap<string, string> | undefined;

  constructor(readonly typeUrl: TypeUrl) {}

  /** SotW: a request's resource_names is the whole subscription (xDS rule 5 in docs/design.md). */
  replace(resourceNames: readonly string[]): void {
    const first = !this.requested;
    this.requested = true;
    // Legacy wildcard: an empty list on the first request; it stays wildcard while lists stay empty.
    const wildcard = isWildcardCapable(this.typeUrl) && (resourceNames.includes('*') || (resourceNames.length === 0 && (first || this.wildcard)));
    const names = setOfList(resourceNames);
    if (!first && wildcard === this.wildcard && (names === this.names || sameNames(this.names, names))) return;
    this.wildcard = wildcard;
    this.names = names;
    this.subscriptionVersion++;
  }

  /**
   * Delta: names to add and names to drop. An empty first request of LDS or CDS is the legacy
   * wildcard; `*` subscribes to everything explicitly and unsubscribing `*` ends it.
   */
  change(subscribe: readonly string[], unsubscribe: readonly string[]): void {
    const first = !this.requested;
    this.requested = true;
    let changed = first;
    const capable = isWildcardCapable(this.typeUrl);
    if (first && capable && subscribe.length === 0) this.wildcard = true;
    // A first subscription to many names (an Envoy's EDS request naming every cluster): the shared set
    // of that list, made once for the fleet.
    if (this.names.size === 0 && unsubscribe.length === 0 && subscribe.length >= INTERN_FROM) {
      if (subscribe.includes('*') && capable) this.wildcard = true;
      this.names = setOfList(subscribe);
      this.subscriptionVersion++;
      return;
    }
    // The stream's own overlay on the shared names (name-set.ts): a change costs the names it names.
    const names = this.names instanceof NameSet ? this.names : new NameSet(this.names, intern);
    for (const n of subscribe) {
      if (n === '*') {
        if (capable && !this.wildcard) {
          this.wildcard = true;
          changed = true;
        }
      } else if (names.add(n)) changed = true;
    }
    for (const n of unsubscribe) {
      if (n === '*') {
        if (this.wildcard) {
          this.wildcard = false;
          changed = true;
        }
      } else if (names.delete(n)) changed = true;
    }
    names.settle();
    // Read through the overlay only while it holds something: a folded subscription is the shared set.
    if (changed) this.names = names.plain ?? names;
    if (changed) this.subscriptionVersion++;
  }

  /**
   * The client asked for nothing of the type: not a wildcard, no names (an Envoy that lost its last EDS
   * cluster sends an empty EDS request). There is nothing to send, and a response would not be ACKed:
   * Envoy accepts a response for a type it no longer watches without answering it.
   */
  get wantsNothing(): boolean {
    return this.requested && !this.wildcard && this.names.size === 0;
  }

  /** Whether the subscription takes the resource `name`. */
  covers(name: string): boolean {
    if (this.wildcard || this.names.has(name)) return true;
    // VHDS: subscribing to a route configuration's name takes all of its virtual hosts.
    if (this.typeUrl !== VIRTUAL_HOST_TYPE) return false;
    const namespace = vhdsNamespace(name);
    return namespace !== undefined && this.names.has(namespace);
  }
}

function sameNames(current: ReadonlySet<string>, next: ReadonlySet<string>): boolean {
  if (current.size !== next.size) return false;
  for (const n of next) if (!current.has(n)) return false;
  return true;
}
