// The cache holds the published snapshot and wakes every watcher (one per ADS stream) when a new one
// is published. It decides nothing about the protocol: streams ask it what is current.
//
// Watchers are woken in order, a batch per turn of the event loop: the first stream has its bytes at
// once, and a fleet of a thousand streams never holds the event loop (admin requests, incoming ACKs)
// for the whole write. A newer snapshot published meanwhile starts the round again; the streams read
// the current snapshot when woken, so none is ever sent a superseded one.

import type { Snapshot } from './snapshot.js';

export type SnapshotWatcher = (snapshot: Snapshot) => void;

/** Watchers woken per turn of the event loop. */
export const WAKE_BATCH = 32;

export class SnapshotCache {
  private snapshot: Snapshot | undefined;
  private readonly watchers = new Set<SnapshotWatcher>();
  private round = 0;

  current(): Snapshot | undefined {
    return this.snapshot;
  }

  publish(snapshot: Snapshot): void {
    const problems = snapshot.problems();
    if (problems.length > 0) throw new Error(`refusing an inconsistent snapshot: ${problems.join('; ')}`);
    this.snapshot = snapshot;
    const round = ++this.round;
    const queue = [...this.watchers];
    const wake = (from: number) => {
      if (round !== this.round) return; // superseded: the newer round wakes everyone
      const end = Math.min(queue.length, from + WAKE_BATCH);
      for (const watcher of queue.slice(from, end)) if (this.watchers.has(watcher)) watcher(snapshot);
      if (end < queue.length) setImmediate(() => wake(end));
    };
    wake(0);
  }

  /** Calls `watcher` on every publish from now on; returns the function that stops it. */
  watch(watcher: SnapshotWatcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }
}
