// Fleet reports through the API server: each replica keeps a Lease of its own in our namespace,
// `splitplane-fleet-<hash of its identity>`, whose annotation carries its report (fleet/report.ts). A Lease
// because it says by itself when its writer is gone: a report not renewed within its duration is ignored,
// and a replica that stops deletes its own. The report is written when it changes, at most once a
// second, and renewed every 10 s otherwise; every replica watches the others' (a list, then a watch: a
// fleet at rest reads nothing, and a report is seen as soon as it is written).

import { createHash } from 'node:crypto';
import { LogLimiter } from '../log-limit.js';
import type { Logger } from '../log.js';
import type { FleetReport, HostTraffic } from '../fleet/report.js';
import { KubeApiError, type KubeClient } from './client.js';
import { Informer, type Backoff } from './informer.js';
import { microTime } from './leader.js';

export const FLEET_REPORT_ANNOTATION = 'splitplane.io/fleet-report';
export const FLEET_REPORT_LABEL = 'app.kubernetes.io/component';
export const FLEET_REPORT_COMPONENT = 'fleet-report';
/** Largest report written: a Lease's annotations may hold 256 KiB. */
const MAX_REPORT_BYTES = 200 * 1024;

export interface FleetReportsOptions {
  namespace: string;
  identity: string;
  /** How often the report is looked at and written when it changed. */
  writeMs?: number;
  /** How often an unchanged report is renewed; its Lease lasts three times that. */
  renewMs?: number;
  now?: () => number;
  /** Of the watch's restarts after an error. */
  backoff?: Backoff;
}

interface Lease {
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string };
}

export class FleetReports {
  private readonly name: string;
  private readonly writeMs: number;
  private readonly renewMs: number;
  private readonly now: () => number;
  private informer: Informer | undefined;
  /** The reports' Leases as watched, by name, each report parsed once per text. */
  private readonly leases = new Map<string, { holder?: string; expires: number; text?: string; report?: FleetReport }>();
  /** The live reports of the others, until the first of them expires or a Lease changes. */
  private live: { reports: FleetReport[]; until: number } | undefined;
  private timers: NodeJS.Timeout[] = [];
  private written: { text: string; at: number; resourceVersion?: string } | undefined;
  /** The report object `local` gave for the last write: it gives the same object while nothing moved. */
  private writtenReport: FleetReport | undefined;
  private readonly lines = new LogLimiter(3, 60_000);
  private stopped = false;
  /** Writes and reads under way: stop() waits for them, so no write lands after the report is deleted. */
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly client: KubeClient,
    private readonly options: FleetReportsOptions,
    private readonly local: () => FleetReport,
    private readonly log: Logger,
  ) {
    this.name = `splitplane-fleet-${createHash('sha256').update(options.identity).digest('hex').slice(0, 12)}`;
    this.writeMs = options.writeMs ?? 1000;
    this.renewMs = options.renewMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** The reports of the other live replicas (a report not renewed within its Lease is its replica gone). */
  remotes(): FleetReport[] {
    const now = this.now();
    if (this.live && now < this.live.until) return this.live.reports;
    const reports: FleetReport[] = [];
    let until = Infinity;
    for (const lease of this.leases.values()) {
      if (lease.holder === this.options.identity || !lease.report || lease.expires <= now) continue;
      reports.push(lease.report);
      until = Math.min(until, lease.expires);
    }
    reports.sort((a, b) => (a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : 0));
    this.live = { reports, until };
    return reports;
  }

  start(): void {
    const every = (ms: number, task: () => Promise<void>) => {
      let running = false;
      const timer = setInterval(() => {
        if (running || this.stopped) return;
        running = true;
        const run = task()
          .catch((error: unknown) => this.warn('fleet report', error))
          .finally(() => {
            running = false;
            this.inflight.delete(run);
          });
        this.inflight.add(run);
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.writeMs, () => this.publish());
    this.informer = new Informer(
      {
        kind: 'Lease',
        apiVersion: 'coordination.k8s.io/v1',
        path: this.path(),
        labelSelector: `${FLEET_REPORT_LABEL}=${FLEET_REPORT_COMPONENT}`,
      },
      this.client,
      this.client.config,
      {
        upsert: (object) => this.observe(object as unknown as Lease),
        remove: (object) => {
          this.leases.delete(object.metadata.name);
          this.live = undefined;
        },
        health: () => undefined,
      },
      this.log,
      this.options.backoff,
    );
    this.informer.start();
  }

  /** A report's Lease as the watch gives it: parsed again only when its report changed, not on renewal. */
  private observe(lease: Lease): void {
    if (lease.metadata.name === this.name) return;
    const before = this.leases.get(lease.metadata.name);
    const text = lease.metadata.annotations?.[FLEET_REPORT_ANNOTATION];
    const renewed = Date.parse(lease.spec?.renewTime ?? '');
    this.leases.set(lease.metadata.name, {
      holder: lease.spec?.holderIdentity,
      expires: Number.isFinite(renewed) ? renewed + (lease.spec?.leaseDurationSeconds ?? 0) * 1000 : 0,
      text,
      report: before !== undefined && before.text === text ? before.report : parseReport(text),
    });
    this.live = undefined;
  }

  /** Stops, and deletes this replica's report: the others stop counting its proxies at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.informer?.stop();
    await Promise.allSettled([...this.inflight]);
    if (!this.written) return;
    await this.client.request('DELETE', this.path(this.name)).catch(() => undefined);
  }

  /** Writes the report if it changed, or renews it when due. */
  async publish(): Promise<void> {
    const made = this.local();
    const now = this.now();
    // The very report last written, not yet due for renewal: nothing to serialize or compare.
    if (this.written && made === this.writtenReport && now - this.written.at < this.renewMs) return;
    let report = made;
    let text = JSON.stringify(report);
    // A fleet too large to list in one object: the worst proxies are kept, the rest counted by state.
    while (text.length > MAX_REPORT_BYTES && report.proxies.listed.length > 0) {
      report = { ...report, proxies: { ...report.proxies, listed: report.proxies.listed.slice(0, Math.floor(report.proxies.listed.length / 2)) } };
      text = JSON.stringify(report);
    }
    if (this.written && this.written.text === text && now - this.written.at < this.renewMs) {
      this.writtenReport = made;
      return;
    }
    const lease: Lease & { apiVersion: string; kind: string } = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.name,
        namespace: this.options.namespace,
        labels: { 'app.kubernetes.io/name': 'splitplane', [FLEET_REPORT_LABEL]: FLEET_REPORT_COMPONENT },
        annotations: { [FLEET_REPORT_ANNOTATION]: text },
      },
      spec: { holderIdentity: this.options.identity, leaseDurationSeconds: Math.ceil((3 * this.renewMs) / 1000), renewTime: microTime(now) },
    };
    let resourceVersion = this.written?.resourceVersion;
    if (resourceVersion === undefined) {
      const current = await this.client.request<Lease>('GET', this.path(this.name));
      if (current.status === 200) resourceVersion = current.body.metadata.resourceVersion;
      else if (current.status !== 404) throw new KubeApiError(current.status, this.path(this.name), JSON.stringify(current.body).slice(0, 500));
    }
    try {
      const saved =
        resourceVersion === undefined
          ? await this.client.expect<Lease>('POST', this.path(), lease)
          : await this.client.expect<Lease>('PUT', this.path(this.name), { ...lease, metadata: { ...lease.metadata, resourceVersion } });
      this.written = { text, at: now, resourceVersion: saved.metadata.resourceVersion };
      this.writtenReport = made;
    } catch (error) {
      // Someone else's write in between (a replica restarted with our identity): read it again next time.
      this.written = undefined;
      throw error;
    }
  }

  private path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.options.namespace)}/leases`;
    return name ? `${base}/${encodeURIComponent(name)}` : base;
  }

  private warn(what: string, error: unknown): void {
    const line = this.lines.take(what);
    if (line.ok)
      this.log.warn(`${what}: the API server refused or did not answer; the fleet pages count this replica's proxies only meanwhile`, {
        error: error instanceof Error ? error.message : String(error),
      });
  }
}

function validTraffic(t: HostTraffic): boolean {
  const count = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  return (
    typeof t?.host === 'string' &&
    typeof t.cluster === 'string' &&
    Array.isArray(t.proxies) &&
    t.proxies.every((p) => Array.isArray(p) && typeof p[0] === 'string' && count(p[1]) && count(p[2]) && count(p[3])) &&
    (t.latency === undefined ||
      (Array.isArray(t.latency) &&
        t.latency.every(
          (l) =>
            Array.isArray(l) &&
            typeof l[0] === 'string' &&
            Array.isArray(l[1]) &&
            Array.isArray(l[2]) &&
            l[1].length === l[2].length &&
            l[1].length <= 64 &&
            l[1].every((b) => typeof b === 'number' && Number.isFinite(b)) &&
            l[2].every(count),
        )))
  );
}

/** A report as another replica wrote it, checked for the shape the fleet pages read; undefined otherwise. */
export function parseReport(text: string | undefined): FleetReport | undefined {
  if (!text || text.length > MAX_REPORT_BYTES * 2) return undefined;
  try {
    const r = JSON.parse(text) as FleetReport;
    const count = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0;
    if (typeof r.replica !== 'string' || !Array.isArray(r.groups) || !r.proxies || !Array.isArray(r.proxies.listed)) return undefined;
    if (!r.groups.every((g) => typeof g.key === 'string' && typeof g.weights === 'string' && count(g.applied) && count(g.connected))) return undefined;
    if (!count(r.proxies.total) || !['SYNCED', 'STALE', 'NACKED'].every((s) => count(r.proxies.byState?.[s as 'SYNCED']))) return undefined;
    return { ...r, traffic: Array.isArray(r.traffic) ? r.traffic.filter(validTraffic) : [] };
  } catch {
    return undefined;
  }
}
