// Events: each new diagnostic becomes an Event on its object, so `kubectl describe ingress` says what is
// wrong and where, and a Normal Event says when a new split takes effect ("old-nginx 50% / new-nginx
// 50%"). As client-go's recorder does, an Event that repeats is the same Event with its count and
// lastTimestamp bumped (its name is derived from the object, reason and message, so replicas and
// restarts find it), and each object's Events are rate limited (a burst, then one per interval).
// Only the leader records.

import { createHash } from 'node:crypto';
import { LogLimiter } from '../log-limit.js';
import type { Logger } from '../log.js';
import type { Diagnostic } from '../objects/diagnostics.js';
import { isRolloutProgress } from '../rollout/driver.js';
import type { KubeObject } from '../objects/kube.js';
import { KubeApiError, type KubeClient } from './client.js';

export const REPORTING_COMPONENT = 'splitplane.io/ingress-controller';

export interface EventOptions {
  isLeader(): boolean;
  /** This replica, as Events name it. */
  instance: string;
  /** Events per object before the rate limit; then one per intervalMs. */
  burst?: number;
  intervalMs?: number;
  now?: () => number;
}

export interface EventSpec {
  object: KubeObject;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The Event reason for a diagnostic: what kind of problem, in the words `kubectl describe` shows. */
export function reasonFor(d: Diagnostic): string {
  if (/refused the \w+ update/.test(d.message)) return 'RejectedByEnvoy';
  if (d.message.includes('rejected because of the errors above')) return 'Rejected';
  if (/weight/i.test(d.field) && d.severity === 'error') return 'InvalidWeight';
  if (/no ready endpoints|does not exist|has no TCP port|is not ready|not served on HTTPS/.test(d.message)) return 'BackendNotReady';
  if (d.field.startsWith('metadata.annotations')) return d.severity === 'error' ? 'InvalidAnnotation' : 'IgnoredAnnotation';
  return d.severity === 'error' ? 'InvalidSpec' : 'ConfigurationWarning';
}

/** Events kept for a retry while the API server does not answer; past it the oldest is dropped. */
const RETRY_QUEUE = 1000;
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** How long a stopping replica lets its Event writes land. */
const STOP_WAIT_MS = 5000;

export class EventRecorder {
  private readonly limiter: LogLimiter;
  /** Events whose write failed for want of an API server, by name, to be written once it answers. */
  private readonly retries = new Map<string, EventSpec>();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = RETRY_FIRST_MS;
  /** Count and first time of each Event this process has written, by name. */
  private readonly written = new Map<string, { count: number; first: string }>();
  private readonly now: () => number;
  recorded = 0;
  dropped = 0;
  private stopped = false;
  /** Writes under way: stop() lets them land, so nothing is written by a replica once it has stopped. */
  private readonly inflight = new Set<Promise<boolean>>();

  constructor(
    private readonly client: KubeClient,
    private readonly options: EventOptions,
    private readonly log: Logger,
  ) {
    this.now = options.now ?? Date.now;
    this.limiter = new LogLimiter(options.burst ?? 25, options.intervalMs ?? 300_000, this.now, 10_000);
  }

  /** Records each new diagnostic about an object in the cluster; `find` looks the object up. */
  diagnostics(fresh: readonly Diagnostic[], find: (kind: string, namespace: string, name: string) => KubeObject | undefined): void {
    for (const d of fresh) {
      const object = find(d.object.kind, d.object.namespace ?? 'default', d.object.name);
      if (!object) continue; // files, folders and the API server itself are no objects to attach to
      if (isRolloutProgress(d)) continue; // a rollout's moves are Events of their own (RolloutStepped, RolloutAborted, …)
      void this.record({ object, type: d.severity === 'info' ? 'Normal' : 'Warning', reason: reasonFor(d), message: `${d.field}: ${d.message}` });
    }
  }

  async record(spec: EventSpec): Promise<void> {
    if (this.stopped || !this.options.isLeader()) return;
    const { object } = spec;
    const namespace = object.metadata.namespace || 'default';
    if (!this.limiter.take(`${object.kind}/${namespace}/${object.metadata.name}`).ok) {
      this.dropped++;
      return;
    }
    const write = this.write(spec);
    this.inflight.add(write);
    try {
      await write;
    } finally {
      this.inflight.delete(write);
    }
  }

  /** Events waiting for the API server to answer again. */
  get pending(): number {
    return this.retries.size;
  }

  /** Records nothing more; the writes under way land first (for at most `waitMs`). */
  async stop(waitMs = STOP_WAIT_MS): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  /** Writes an Event (already past the rate limit); true when it was written or needs no retry. */
  private async write(spec: EventSpec): Promise<boolean> {
    const { object } = spec;
    const namespace = object.metadata.namespace || 'default';
    const message = spec.message.length > 1024 ? `${spec.message.slice(0, 1021)}...` : spec.message;
    const identity = `${object.kind}\u0000${namespace}\u0000${object.metadata.name}\u0000${object.metadata.uid ?? ''}\u0000${spec.type}\u0000${spec.reason}\u0000${message}`;
    const name = `${object.metadata.name}.${createHash('sha256').update(identity).digest('hex').slice(0, 16)}`.slice(-253).replace(/^[^a-z0-9]+/, '');
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
    const time = new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    try {
      const known = this.written.get(name);
      if (known) {
        await this.bump(`${path}/${encodeURIComponent(name)}`, known.count + 1, time);
        this.written.set(name, { ...known, count: known.count + 1 });
      } else {
        try {
          await this.client.expect('POST', path, {
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { name, namespace },
            involvedObject: {
              kind: object.kind,
              apiVersion: object.apiVersion,
              namespace,
              name: object.metadata.name,
              uid: object.metadata.uid,
              resourceVersion: object.metadata.resourceVersion,
            },
            type: spec.type,
            reason: spec.reason,
            message,
            source: { component: 'splitplane' },
            reportingComponent: REPORTING_COMPONENT,
            reportingInstance: this.options.instance,
            firstTimestamp: time,
            lastTimestamp: time,
            count: 1,
          });
          this.written.set(name, { count: 1, first: time });
        } catch (error) {
          // Written before, by another replica or before a restart: the same Event, once more.
          if (!(error instanceof KubeApiError) || error.status !== 409) throw error;
          const existing = await this.client.expect<{ count?: number; firstTimestamp?: string }>('GET', `${path}/${encodeURIComponent(name)}`);
          const count = (existing.count ?? 1) + 1;
          await this.bump(`${path}/${encodeURIComponent(name)}`, count, time);
          this.written.set(name, { count, first: existing.firstTimestamp ?? time });
        }
      }
      this.recorded++;
      this.retries.delete(name);
      return true;
    } catch (error) {
      // Stopped meanwhile: the write was abandoned, and there is nothing to retry or to say.
      if (this.stopped) return true;
      // No answer, or an API server that is failing (5xx, 429): the Event is written once it answers,
      // as the status is. A refusal of the Event itself (4xx) would be refused again.
      const retry = !(error instanceof KubeApiError) || error.status >= 500 || error.status === 429;
      this.log.warn(retry ? 'cannot record an Event now; it is written again once the API server answers' : 'cannot record an Event', {
        object: `${object.kind} ${namespace}/${object.metadata.name}`,
        reason: spec.reason,
        error: error instanceof Error ? error.message : String(error),
      });
      if (retry) this.retryLater(name, spec);
      return !retry;
    }
  }

  private retryLater(name: string, spec: EventSpec): void {
    this.retries.delete(name);
    if (this.retries.size >= RETRY_QUEUE) {
      this.retries.delete(this.retries.keys().next().value as string);
      this.dropped++;
    }
    this.retries.set(name, spec);
    if (!this.retrying) this.scheduleRetry();
  }

  private retrying = false;

  private scheduleRetry(): void {
    if (this.retryTimer || this.retries.size === 0) return;
    this.retryTimer = setTimeout(() => void this.retryNow(), this.retryDelayMs);
    this.retryTimer.unref();
  }

  private async retryNow(): Promise<void> {
    this.retryTimer = undefined;
    if (!this.options.isLeader()) {
      this.retries.clear(); // the new leader states what is in force
      return;
    }
    let failed = false;
    this.retrying = true;
    try {
      for (const [name, spec] of [...this.retries]) {
        if (this.stopped) return;
        this.retries.delete(name);
        if (!(await this.write(spec))) {
          failed = true;
          break; // still no API server: the rest wait too
        }
      }
    } finally {
      this.retrying = false;
    }
    this.retryDelayMs = failed ? Math.min(RETRY_MAX_MS, this.retryDelayMs * 2) : RETRY_FIRST_MS;
    this.scheduleRetry();
  }

  private async bump(path: string, count: number, time: string): Promise<void> {
    await this.client.expect('PATCH', path, { count, lastTimestamp: time }, 'application/merge-patch+json');
  }
}
