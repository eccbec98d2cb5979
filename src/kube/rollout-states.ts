// Rollout state in Kubernetes mode: a ConfigMap of ours in our namespace,
// `splitplane-rollouts-<ingress class>`, one data key per rolled-out group. Not in the Ingress: GitOps
// tools (Argo CD, Flux) would undo every step we wrote there. The leader writes it; every replica
// watches it (by name: a list, then a watch) and serves what it says, so all replicas serve the same
// weights and a new leader goes on from the step the last one reached.
//
// `splitplane rollout ACTION NS/NAME` (cli/rollout.ts) writes its command as an annotation on the same
// ConfigMap; the leader carries it out and takes the annotation away when it next writes.

import { createHash, randomUUID } from 'node:crypto';
import { LogLimiter } from '../log-limit.js';
import type { Logger } from '../log.js';
import type { Command } from '../rollout/machine.js';
import { readStored, type RolloutStateStore, type StoredRollout } from '../rollout/state-store.js';
import { KubeApiError, type KubeClient } from './client.js';
import { Informer, type Backoff } from './informer.js';

export const COMMAND_PREFIX = 'splitplane.io/rollout-command.';
const COMMANDS: readonly Command[] = ['pause', 'resume', 'abort', 'promote'];
/** A ConfigMap holds at most 1 MiB; states past this are not written (the rest keep serving from memory). */
const MAX_DATA_BYTES = 900 * 1024;

export function rolloutConfigMapName(ingressClass: string): string {
  return `splitplane-rollouts-${ingressClass}`;
}

interface ConfigMap {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

/** A command as the CLI writes it. */
export interface RolloutCommand {
  ingress: string;
  command: Command;
  at: string;
}

export function parseCommand(text: string | undefined): RolloutCommand | undefined {
  try {
    const c = JSON.parse(text ?? '') as RolloutCommand;
    if (typeof c.ingress !== 'string' || !/^[a-z0-9.-]{1,253}\/[a-z0-9.-]{1,253}$/.test(c.ingress) || !COMMANDS.includes(c.command)) return undefined;
    return { ingress: c.ingress, command: c.command, at: typeof c.at === 'string' ? c.at.slice(0, 64) : '' };
  } catch {
    return undefined;
  }
}

/** The data key of a group: ConfigMap keys allow letters, digits, '-', '_' and '.', and a group key has spaces and slashes. */
export function dataKey(group: string): string {
  return `group-${createHash('sha256').update(group).digest('hex').slice(0, 16)}`;
}

export interface ConfigMapStoreOptions {
  namespace: string;
  ingressClass: string;
  isLeader(): boolean;
  /** Of the watch's restarts after an error. */
  backoff?: Backoff;
}

export class ConfigMapStateStore implements RolloutStateStore {
  readonly where: string;
  private current = new Map<string, StoredRollout>();
  private read = false;
  private resourceVersion: string | undefined;
  private seenVersion: string | undefined;
  private exists = false;
  private readonly listeners: Array<() => void> = [];
  private commandListener: ((c: RolloutCommand) => void) | undefined;
  /** Command annotations carried out, to take away at the next write. */
  private done = new Set<string>();
  private informer: Informer | undefined;
  private readonly lines = new LogLimiter(3, 60_000);
  private readonly name: string;

  constructor(
    private readonly client: KubeClient,
    private readonly options: ConfigMapStoreOptions,
    private readonly log: Logger,
  ) {
    this.name = rolloutConfigMapName(options.ingressClass);
    this.where = `ConfigMap ${options.namespace}/${this.name}`;
  }

  /** Watches the ConfigMap by name (the watch restarts by itself after an error). */
  start(): void {
    const observe = (map: ConfigMap | undefined) => void this.observe(map).catch((error: unknown) => this.warn('read', error));
    this.informer = new Informer(
      { kind: 'ConfigMap', apiVersion: 'v1', path: this.path(), fieldSelector: `metadata.name=${this.name}` },
      this.client,
      this.client.config,
      {
        upsert: (object) => observe(object as unknown as ConfigMap),
        remove: () => observe(undefined),
        health: () => undefined,
        // Listed and there is none: read as empty.
        synced: () => {
          if (!this.read) observe(undefined);
        },
      },
      this.log,
      this.options.backoff,
    );
    this.informer.start();
  }

  stop(): void {
    this.informer?.stop();
    this.informer = undefined;
  }

  loaded(): boolean {
    return this.read;
  }

  states(): ReadonlyMap<string, StoredRollout> {
    return this.current;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Commands for the leader to carry out. */
  onCommand(listener: (c: RolloutCommand) => void): void {
    this.commandListener = listener;
  }

  /** Reads the ConfigMap now: new states for a follower, commands for the leader. */
  async refresh(): Promise<void> {
    const response = await this.client.request<ConfigMap>('GET', this.path(this.name));
    if (response.status !== 404 && response.status !== 200)
      throw new KubeApiError(response.status, this.path(this.name), JSON.stringify(response.body).slice(0, 300));
    await this.observe(response.status === 200 ? response.body : undefined);
  }

  /** The ConfigMap as read or watched (undefined: there is none). */
  private async observe(map: ConfigMap | undefined): Promise<void> {
    if (map === undefined) {
      this.exists = false;
      this.resourceVersion = undefined;
      if (!this.read) {
        this.read = true;
        for (const listener of this.listeners) listener();
      }
      return;
    }
    this.exists = true;
    this.resourceVersion = map.metadata.resourceVersion;
    const first = !this.read;
    this.read = true;
    if (map.metadata.resourceVersion === this.seenVersion) return;
    this.seenVersion = map.metadata.resourceVersion;
    if (this.options.isLeader()) {
      const pending: string[] = [];
      for (const [key, value] of Object.entries(map.metadata.annotations ?? {})) {
        if (!key.startsWith(COMMAND_PREFIX) || this.done.has(key)) continue;
        this.done.add(key);
        pending.push(key);
        const command = parseCommand(value);
        if (command) this.commandListener?.(command);
        else this.log.warn('rollout command ignored: not {"ingress":"NS/NAME","command":"pause|resume|abort|promote"}', { annotation: key });
      }
      // The leader's own states are newer than what it reads back, except on its first read.
      if (!first) {
        if (pending.length > 0) await this.save(this.current);
        return;
      }
    }
    const states = new Map<string, StoredRollout>();
    for (const value of Object.values(map.data ?? {})) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        continue;
      }
      const stored = readStored(parsed);
      if (stored) states.set(stored.group, stored);
    }
    this.current = states;
    for (const listener of this.listeners) listener();
  }

  async save(states: ReadonlyMap<string, StoredRollout>): Promise<void> {
    this.current = new Map(states);
    if (!this.options.isLeader()) return;
    const data: Record<string, string> = {};
    let bytes = 0;
    for (const stored of states.values()) {
      const text = JSON.stringify(stored);
      bytes += text.length;
      if (bytes > MAX_DATA_BYTES) break;
      data[dataKey(stored.group)] = text;
    }
    for (let attempt = 0; ; attempt++) {
      if (!this.read) await this.refresh();
      const current = this.exists ? await this.client.request<ConfigMap>('GET', this.path(this.name)) : undefined;
      const annotations = Object.fromEntries(
        Object.entries(current?.status === 200 ? (current.body.metadata.annotations ?? {}) : {}).filter(([k]) => !this.done.has(k)),
      );
      const body: ConfigMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: this.name,
          namespace: this.options.namespace,
          labels: { 'app.kubernetes.io/name': 'splitplane', 'app.kubernetes.io/component': 'rollout-state' },
          annotations,
        },
        data,
      };
      try {
        const saved =
          current?.status === 200
            ? await this.client.expect<ConfigMap>('PUT', this.path(this.name), {
                ...body,
                metadata: { ...body.metadata, resourceVersion: current.body.metadata.resourceVersion },
              })
            : await this.client.expect<ConfigMap>('POST', this.path(), body);
        this.exists = true;
        this.resourceVersion = saved.metadata.resourceVersion;
        this.seenVersion = saved.metadata.resourceVersion;
        for (const key of [...this.done]) if (!(key in (saved.metadata.annotations ?? {}))) this.done.delete(key);
        return;
      } catch (error) {
        // A command written between our read and our write: read again and write once more.
        if (error instanceof KubeApiError && (error.status === 409 || error.status === 404) && attempt < 3) {
          this.exists = error.status === 409;
          continue;
        }
        throw error;
      }
    }
  }

  private path(name?: string): string {
    const base = `/api/v1/namespaces/${encodeURIComponent(this.options.namespace)}/configmaps`;
    return name ? `${base}/${encodeURIComponent(name)}` : base;
  }

  private warn(what: string, error: unknown): void {
    const line = this.lines.take(what);
    if (line.ok)
      this.log.warn(`rollout state ${what}: the API server refused or did not answer; rollouts go on from what this replica last read`, {
        where: this.where,
        error: error instanceof Error ? error.message : String(error),
      });
  }
}

/**
 * Writes a command for the leader (the CLI): an annotation on the rollout ConfigMap, created when there
 * is none yet. Returns the annotation's key, which the leader takes away once it has carried it out.
 */
export async function writeCommand(client: KubeClient, namespace: string, ingressClass: string, command: RolloutCommand): Promise<string> {
  const name = rolloutConfigMapName(ingressClass);
  const key = `${COMMAND_PREFIX}${randomUUID().slice(0, 8)}`;
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
  const patch = { metadata: { annotations: { [key]: JSON.stringify(command) } } };
  const response = await client.request('PATCH', `${path}/${encodeURIComponent(name)}`, patch, 'application/merge-patch+json');
  if (response.status === 404) {
    await client.expect('POST', path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, annotations: patch.metadata.annotations } });
  } else if (response.status < 200 || response.status > 299) {
    throw new KubeApiError(response.status, `${path}/${name}`, JSON.stringify(response.body).slice(0, 300));
  }
  return key;
}

/** The states and the pending commands, as the CLI reads them back. */
export async function readRollouts(
  client: KubeClient,
  namespace: string,
  ingressClass: string,
): Promise<{ states: StoredRollout[]; pending: string[] } | undefined> {
  const name = rolloutConfigMapName(ingressClass);
  const response = await client.request<ConfigMap>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`);
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw new KubeApiError(response.status, name, JSON.stringify(response.body).slice(0, 300));
  const states = Object.values(response.body.data ?? {}).flatMap((v) => {
    try {
      const s = readStored(JSON.parse(v));
      return s ? [s] : [];
    } catch {
      return [];
    }
  });
  return { states, pending: Object.keys(response.body.metadata.annotations ?? {}).filter((k) => k.startsWith(COMMAND_PREFIX)) };
}
