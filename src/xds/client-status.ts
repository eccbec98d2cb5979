// Fleet state: what each connected proxy holds, from its own ACKs and NACKs, as `istioctl proxy-status`
// shows it. A proxy is SYNCED when every type it asked for is acknowledged at the published version,
// NACKED when it refused the latest response of some type, and STALE otherwise (a response in flight,
// or an older version still running).

import { PUSH_ORDER, SHORT_NAME } from '../proto/type-urls.js';
import { snapshotVersionOf } from '../snapshot/sent-version.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { AdsStream } from './ads-stream.js';
import type { ClientKind } from './client-kind.js';

export type SyncState = 'SYNCED' | 'STALE' | 'NACKED';

export interface TypeStatus {
  state: SyncState;
  /** The last response sent: its version and nonce. */
  sent: { version: string; nonce: string } | null;
  /** The version the proxy last acknowledged: what it runs. */
  acked: string | null;
  /** The last refusal, with Envoy's own words. */
  lastNack: { version: string; message: string; at: string } | null;
}

export interface ClientStatus {
  node: string;
  cluster: string;
  kind: ClientKind;
  /** The client's name and version, e.g. `envoy 1.40.0`. */
  userAgent: string;
  protocol: 'sotw' | 'delta';
  connectedSince: string;
  state: SyncState;
  types: Record<string, TypeStatus>;
}

export function clientStatus(stream: AdsStream<unknown>, connectedSince: string, snapshot: Snapshot | undefined): ClientStatus {
  const types: Record<string, TypeStatus> = {};
  for (const typeUrl of PUSH_ORDER) {
    const t = stream.types[typeUrl];
    if (!t.requested) continue;
    const published = snapshot?.type(typeUrl, stream.routing).version;
    const refusedLatest = t.lastNack !== undefined && t.sent !== undefined && t.lastNack.version === t.sent.version && !t.awaitingReply;
    // A type the client asked nothing of is in step whatever was last sent (it is not answered).
    const runsPublished = t.wantsNothing || (t.ackedVersion !== undefined && snapshotVersionOf(t.ackedVersion) === published && !t.awaitingReply);
    types[SHORT_NAME[typeUrl]] = {
      state: refusedLatest ? 'NACKED' : runsPublished ? 'SYNCED' : 'STALE',
      sent: t.sent ? { version: t.sent.version, nonce: t.sent.nonce } : null,
      acked: t.ackedVersion ?? null,
      lastNack: t.lastNack ?? null,
    };
  }
  const states = Object.values(types).map((t) => t.state);
  const node = stream.nodeSummary();
  return {
    node: node?.id ?? '',
    cluster: node?.cluster ?? '',
    kind: stream.kind,
    userAgent: node?.userAgent ?? '',
    protocol: stream.protocol,
    connectedSince,
    state: states.includes('NACKED') ? 'NACKED' : states.every((s) => s === 'SYNCED') ? 'SYNCED' : 'STALE',
    types,
  };
}
