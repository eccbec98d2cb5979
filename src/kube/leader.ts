// Leader election with a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: the
// holder renews the Lease every retry period; another replica takes it over once it has not been renewed
// for the lease duration. Every replica serves xDS from its own informers; only the leader writes
// (Ingress status, Events), so two replicas never fight over the same field. Updates carry the Lease's
// resourceVersion, so of two replicas racing for it exactly one wins (the other gets 409 Conflict).

import type { Logger } from '../log.js';
import { KubeApiError, statusMessage, type KubeClient } from './client.js';

export interface LeaderOptions {
  namespace: string;
  name: string;
  /** This replica: the pod name in a cluster. */
  identity: string;
  leaseDurationMs?: number;
  /** A leader that could not renew for this long stops acting as one (before another can take over). */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  now?: () => number;
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

export class LeaderElector {
  private timer: NodeJS.Timeout | undefined;
  private renewedAt: number | undefined;
  /** The Lease as this replica last wrote it (the API server's answer): what a leader renews. */
  private written: (Lease & Record<string, unknown>) | undefined;
  private leading = false;
  private stopped = true;
  private readonly durationMs: number;
  private readonly deadlineMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  private readonly listeners: Array<(leading: boolean) => void> = [];
  /** Why this replica cannot take or renew the Lease (not "another replica holds it"), with the API server's words. */
  private failure: string | undefined;
  private readonly failureListeners: Array<() => void> = [];

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderOptions,
    private readonly log: Logger,
  ) {
    this.durationMs = options.leaseDurationMs ?? 15_000;
    this.deadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryMs = options.retryPeriodMs ?? 2_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Why this replica cannot lead, when the reason is not another replica holding the Lease: a 403 (RBAC
   * grants Leases in another namespace), a namespace that does not exist, an API server that cannot be
   * reached. Undefined while it leads or follows normally.
   */
  problem(): string | undefined {
    return this.failure;
  }

  /** Called when problem() changes. */
  onProblem(listener: () => void): void {
    this.failureListeners.push(listener);
  }

  private setProblem(problem: string | undefined): void {
    if (problem === this.failure) return;
    this.failure = problem;
    for (const listener of this.failureListeners) listener();
  }

  /** Called with true when this replica becomes the leader, false when it stops being one. */
  onChange(listener: (leading: boolean) => void): void {
    this.listeners.push(listener);
  }

  get identity(): string {
    return this.options.identity;
  }

  isLeader(): boolean {
    return this.leading && this.renewedAt !== undefined && this.now() - this.renewedAt < this.deadlineMs;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** Stops; a leader gives the Lease up, so another replica takes over at once rather than after it expires. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.set(false);
    try {
      const lease = await this.get();
      if (lease?.spec?.holderIdentity === this.options.identity) {
        await this.client.expect('PUT', this.path(this.options.name), {
          ...lease,
          spec: { ...lease.spec, holderIdentity: '', renewTime: undefined, leaseDurationSeconds: 1 },
        });
      }
    } catch (error) {
      this.log.warn('could not give up the leader Lease; another replica takes over when it expires', { error: String(error) });
    }
  }

  private async tick(): Promise<void> {
    try {
      await this.tryAcquireOrRenew();
      this.setProblem(undefined);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const lease = `${this.options.namespace}/${this.options.name}`;
      if (message !== this.failure)
        this.log.error('leader election: the Lease could not be read or written; this replica cannot lead', { lease, error: message });
      this.setProblem(`the Lease ${lease} could not be read or written, so this replica never leads (no Ingress status, no Events are written): ${message}`);
    }
    if (this.leading && !this.isLeader()) {
      this.log.warn('leader election: could not renew the Lease in time; no longer the leader', { identity: this.options.identity });
      this.set(false);
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), this.retryMs);
      this.timer.unref();
    }
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = this.now();
    const spec = {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.durationMs / 1000),
      renewTime: microTime(now),
    };
    // A leader renews the Lease as it last wrote it, in one request: its resourceVersion makes the API
    // server refuse the write (409) if anyone changed the Lease since, and then it is read again. Reading
    // it first on every renewal doubled the requests of a replica at rest.
    const mine = this.leading ? this.written : undefined;
    this.written = undefined;
    if (mine) {
      try {
        await this.write('PUT', this.path(this.options.name), { ...mine, spec: { ...mine.spec, ...spec } }, now, false);
        return;
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 409)) throw error;
      }
    }
    const lease = await this.get();
    if (!lease) {
      await this.write(
        'POST',
        this.path(),
        {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.options.name, namespace: this.options.namespace },
          spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
        },
        now,
      );
      return;
    }
    const held = lease.spec?.holderIdentity;
    if (held === this.options.identity) {
      await this.write('PUT', this.path(this.options.name), { ...lease, spec: { ...lease.spec, ...spec } }, now);
      return;
    }
    const renewed = lease.spec?.renewTime ? Date.parse(lease.spec.renewTime) : 0;
    const duration = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    if (held && now < renewed + duration) {
      if (this.leading) this.set(false);
      return; // someone else holds a live Lease
    }
    await this.write(
      'PUT',
      this.path(this.options.name),
      { ...lease, spec: { ...spec, acquireTime: microTime(now), leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 } },
      now,
    );
  }

  /** Writes the Lease; a conflict (409) means another replica wrote it first, unless `conflictLoses` is false (the caller reads it again). */
  private async write(method: 'POST' | 'PUT', path: string, body: Lease & Record<string, unknown>, now: number, conflictLoses = true): Promise<void> {
    try {
      this.written = await this.client.expect<Lease & Record<string, unknown>>(method, path, body);
    } catch (error) {
      // Another replica wrote the Lease first: it is the leader now.
      if (conflictLoses && error instanceof KubeApiError && error.status === 409) {
        if (this.leading) this.set(false);
        return;
      }
      throw error;
    }
    this.renewedAt = now;
    if (!this.leading) {
      this.log.info('leader election: this replica is the leader', {
        identity: this.options.identity,
        lease: `${this.options.namespace}/${this.options.name}`,
      });
      this.set(true);
    }
  }

  private async get(): Promise<Lease | undefined> {
    const response = await this.client.request<Lease>('GET', this.path(this.options.name));
    if (response.status === 404) return undefined;
    // The API server's whole message: it names the namespace and the verb refused.
    if (response.status !== 200) throw new KubeApiError(response.status, this.path(this.options.name), statusMessage(response.body));
    return response.body;
  }

  private path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.options.namespace)}/leases`;
    return name ? `${base}/${encodeURIComponent(name)}` : base;
  }

  private set(leading: boolean): void {
    this.leading = leading;
    for (const listener of this.listeners) listener(leading);
  }
}

/** MicroTime as the API wants it: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
