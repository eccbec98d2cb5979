// Where rollout state lives across restarts and leader changes: never in the user's Ingress (GitOps
// tools would fight over it), always somewhere only splitplane writes.
//
// - File mode: one JSON file under --state-dir, named after the manifests folder, replaced whole by a
//   rename (a crash leaves the old file or the new one, never half of one).
// - Kubernetes mode: a ConfigMap of ours in our namespace (kube/rollout-states.ts), written by the leader.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RolloutState } from './machine.js';

/** One group's rollout as stored: the group and the Ingress carrying the annotation, and the state. */
export interface StoredRollout {
  group: string;
  ingress: string;
  state: RolloutState;
}

export interface RolloutStateStore {
  /** Where it is kept, for logs and docs. */
  readonly where: string;
  /** Whether the saved states have been read (a rollout must not start over before they are). */
  loaded(): boolean;
  /** The saved states, as read at start (or last seen from the leader). */
  states(): ReadonlyMap<string, StoredRollout>;
  /** Saves every state (the leader only); a failure is logged by the caller and tried again on the next change. */
  save(states: ReadonlyMap<string, StoredRollout>): Promise<void>;
  /** Called when another replica (the leader) wrote new states. */
  onChange?(listener: () => void): void;
  stop?(): void;
}

const MAX_STATE_BYTES = 4 * 1024 * 1024;

/** A stored record, checked field by field: the file may have been edited or truncated. */
export function readStored(value: unknown): StoredRollout | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const s = v.state as Record<string, unknown> | undefined;
  if (typeof v.group !== 'string' || typeof v.ingress !== 'string' || typeof s !== 'object' || s === null) return undefined;
  const phases = ['progressing', 'paused', 'aborted', 'complete'];
  if (typeof s.spec !== 'string' || typeof s.version !== 'string' || typeof s.step !== 'number' || !phases.includes(s.phase as string)) return undefined;
  if (!Number.isInteger(s.step) || (s.step as number) < 0) return undefined;
  const state: RolloutState = {
    spec: s.spec,
    version: s.version,
    step: s.step as number,
    phase: s.phase as RolloutState['phase'],
    // A step starts counting again after a restart: figures from before it are not in the window.
    appliedAt: null,
    failedChecks: typeof s.failedChecks === 'number' && s.failedChecks >= 0 ? s.failedChecks : 0,
    declared: typeof s.declared === 'string' ? s.declared : '',
    reason: typeof s.reason === 'string' ? s.reason.slice(0, 2000) : '',
    since: typeof s.since === 'number' ? s.since : 0,
  };
  if (s.pausedBy === 'command' || s.pausedBy === 'manual-edit') state.pausedBy = s.pausedBy;
  return { group: v.group, ingress: v.ingress, state };
}

export class FileStateStore implements RolloutStateStore {
  readonly where: string;
  private current = new Map<string, StoredRollout>();
  private read = false;

  /** `scope` tells apart the runs sharing one state folder: the manifests folder. */
  constructor(dir: string, scope: string) {
    const name = `rollouts-${createHash('sha256').update(scope).digest('hex').slice(0, 12)}.json`;
    this.where = path.join(dir, name);
  }

  /** Reads the file; a missing one is no rollout yet, an unreadable one is an error for the caller to log. */
  load(): void {
    this.read = true;
    let text: string;
    try {
      const stat = fs.statSync(this.where);
      if (!stat.isFile() || stat.size > MAX_STATE_BYTES) throw new Error(`${this.where} is not a regular file of at most ${MAX_STATE_BYTES} bytes`);
      text = fs.readFileSync(this.where, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const parsed = JSON.parse(text) as { rollouts?: unknown };
    for (const item of Array.isArray(parsed.rollouts) ? parsed.rollouts : []) {
      const stored = readStored(item);
      if (stored) this.current.set(stored.group, stored);
    }
  }

  loaded(): boolean {
    return this.read;
  }

  states(): ReadonlyMap<string, StoredRollout> {
    return this.current;
  }

  async save(states: ReadonlyMap<string, StoredRollout>): Promise<void> {
    this.current = new Map(states);
    const dir = path.dirname(this.where);
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    const temporary = `${this.where}.${process.pid}.tmp`;
    await fs.promises.writeFile(temporary, `${JSON.stringify({ rollouts: [...states.values()] }, null, 2)}\n`, { mode: 0o600 });
    await fs.promises.rename(temporary, this.where);
  }
}
