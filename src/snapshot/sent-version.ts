// The version a stream is sent for a type: the snapshot's version, or, when the response also keeps
// clusters of an older snapshot that routes still in use name (xDS rule 6 in docs/design.md), that version
// followed by `+` and a hash of the kept names. Whoever reads a version back (an ACK, a NACK's trace)
// finds the snapshot it came from with snapshotVersionOf; snapshot versions never contain `+`.

import { hash } from 'node:crypto';

const KEPT_CLUSTERS_MARK = '+';

export function withKeptClusters(snapshotVersion: string, keptNames: readonly string[]): string {
  const suffix = hash('sha256', [...keptNames].sort().join('\u0000'), 'hex').slice(0, 8);
  return `${snapshotVersion}${KEPT_CLUSTERS_MARK}${suffix}`;
}

/** The snapshot version a sent version was made from. */
export function snapshotVersionOf(sentVersion: string): string {
  const mark = sentVersion.indexOf(KEPT_CLUSTERS_MARK);
  return mark < 0 ? sentVersion : sentVersion.slice(0, mark);
}
