// The cache holds the published snapshot and wakes every watcher (one per ADS stream) when a new one
// is published. It decides nothing about the protocol: streams ask it what is current.

import type { Snapshot } from './snapshot.js';

export type SnapshotWatcher = (snapshot: Snapshot) => void;

export class SnapshotCache {
  private snapshot: Snapshot | undefined;
  private readonly watchers = new Set<SnapshotWatcher>();

  current(): Snapshot | undefined {
    return this.snapshot;
  }

  publish(snapshot: Snapshot): void {
    const problems = snapshot.consistent();
    if (problems.length > 0) throw new Error(`refusing an inconsistent snapshot: ${problems.join('; ')}`);
    this.snapshot = snapshot;
    for (const watcher of [...this.watchers]) watcher(snapshot);
  }

  /** Calls `watcher` on every publish from now on; returns the function that stops it. */
  watch(watcher: SnapshotWatcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }
}
