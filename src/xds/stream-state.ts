// What one ADS stream has asked for and been sent, per type. Small and dumb on purpose: the protocol
// decisions live in sotw.ts, which reads and updates this.

import type { EncodedResource } from '../snapshot/snapshot.js';
import { isWildcardCapable, type TypeUrl } from '../resources/type-urls.js';

export interface SentResponse {
  version: string;
  nonce: string;
  resources: ReadonlyMap<string, EncodedResource>;
}

export class TypeState {
  requested = false;
  wildcard = false;
  /** Names explicitly subscribed; may include names that do not exist yet. */
  readonly names = new Set<string>();
  sent: SentResponse | undefined;
  /** True from a response until the client ACKs or NACKs that nonce. */
  awaitingReply = false;
  ackedVersion: string | undefined;
  /** Resources the client has accepted last (what it is running). */
  applied: ReadonlyMap<string, EncodedResource> = new Map();
  lastNack: { version: string; message: string; at: string } | undefined;
  /** Bumped whenever the subscription (wildcard or names) changes; lets sotw.ts memoise per state. */
  subscriptionVersion = 0;

  constructor(readonly typeUrl: TypeUrl) {}

  /** Applies the resource_names of a request (DESIGN xDS rule 5). */
  subscribe(resourceNames: readonly string[]): void {
    const first = !this.requested;
    this.requested = true;
    // Legacy wildcard: an empty list on the first request; it stays wildcard while lists stay empty.
    const wildcard =
      isWildcardCapable(this.typeUrl) && (resourceNames.includes('*') || (resourceNames.length === 0 && (first || this.wildcard)));
    const names = resourceNames.filter((n) => n !== '*');
    if (!first && wildcard === this.wildcard && sameNames(this.names, names)) return;
    this.wildcard = wildcard;
    this.names.clear();
    for (const n of names) this.names.add(n);
    this.subscriptionVersion++;
  }
}

function sameNames(current: ReadonlySet<string>, next: readonly string[]): boolean {
  if (current.size !== new Set(next).size) return false;
  for (const n of next) if (!current.has(n)) return false;
  return true;
}
