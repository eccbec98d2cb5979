// The rebuild loop: store → model → resources → snapshot → cache, debounced. It keeps the only state
// the pure stages need carried over (the last accepted Ingresses) and the diagnostics of the last build.

import { Debouncer, type Timers, realTimers } from './debounce.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { buildModelIncremental, rememberBuild, type ModelMemo } from './model/incremental.js';
import { PlanCache } from './model/plan-cache.js';
import type { ModelInput } from './model/build.js';
import { keepIdentity } from './model/identity.js';
import type { RoutingModel } from './model/types.js';
import { MAX_MESSAGE, boundedMessage, capPerObject, formatDiagnostic, sortDiagnostics, type Diagnostic } from './objects/diagnostics.js';
import type { EndpointSlice, Ingress, IngressClass, KubeObject, Secret, Service } from './objects/kube.js';
import { translate, type TranslateOptions } from './resources/translate.js';
import { CLUSTER_TYPE, PUSH_ORDER, SHORT_NAME } from './proto/type-urls.js';
import type { SnapshotCache } from './snapshot/cache.js';
import { Snapshot, SnapshotEncoder } from './snapshot/snapshot.js';
import type { Source } from './source/source.js';
import type { ObjectStore } from './store/store.js';
import { traceNack, type BuildRecord } from './nack/trace.js';
import { judgeNack, type FleetMember, type Judged } from './nack/verdict.js';
import { LogLimiter } from './log-limit.js';
import { refOfObject } from './model/validation/validate.js';
import type { NackReport } from './xds/server.js';

export interface ControllerObserver {
  diagnostics?(fresh: readonly Diagnostic[]): void;
  published?(model: RoutingModel): void;
}

export interface ControllerOptions {
  ingressClass: string;
  translate: TranslateOptions;
  /** The source, for diagnostics that are not about one object (files that do not parse, watches). */
  source?: Pick<Source, 'diagnostics' | 'notReady'>;
  /** Told what changed: diagnostics that just appeared, and the model of each published snapshot. */
  observer?: ControllerObserver;
  holdoffMs?: number;
  /** Build a change after a quiet holdoff at once (input that arrives whole, as from the API server). */
  leading?: boolean;
  maxMs?: number;
  timers?: Timers;
  /** The connected clients, for judging what a NACK may change (nack/verdict.ts); none when absent. */
  fleet?: () => readonly FleetMember[];
}

/** How many published builds are remembered for tracing NACKs back to objects. */
const HISTORY = 16;

/** The field a refusal by Envoy is reported on, by kind: where the refused resource's content comes from. */
const REFUSED_FIELD: Readonly<Record<string, string>> = {
  Ingress: 'spec',
  Service: 'spec.ports',
  EndpointSlice: 'endpoints',
  Secret: 'data',
  IngressClass: 'spec',
};

export class Controller {
  private accepted = new Map<string, KubeObject>();
  /** Forms of objects that Envoy refused; weak, so forms nobody holds any more are forgotten. */
  private readonly rejected = new WeakMap<KubeObject, { field: string; message: string }>();
  private history: BuildRecord[] = [];
  /** The clients (stream ids) that refused each form; weak, like `rejected`. */
  private readonly refusals = new WeakMap<KubeObject, Set<number>>();
  /** Refusals that changed nothing (held or protected), shown as warnings while the form they name is served. */
  private readonly refusalNotes = new Map<string, { form: KubeObject; diagnostic: Diagnostic }>();
  /** NACK lines are limited per client: a client can send thousands a second. */
  private readonly nackLines = new LogLimiter();
  private lastDiagnostics: Diagnostic[] = [];
  private readonly debouncer: Debouncer;
  private readonly encoder = new SnapshotEncoder();
  private readonly recordBuild;
  private readonly recordObjects: (input: ModelInput) => void;
  private readonly recordDiagnostics;
  private readonly recordVersion;
  builds = 0;
  /** Milliseconds spent in each stage of the last build, for logs and benchmarks. */
  lastBuild: { model: number; translate: number; encode: number; publish: number } | undefined;
  /** The last build and its input, for building only what the next change touches. */
  private modelMemo: ModelMemo | undefined;
  /** Plans per Ingress object, kept for the life of the loop: an unchanged Ingress is not planned again. */
  private readonly plans = new PlanCache();
  /** Whether the last build did only the touched hosts. */
  lastBuildIncremental = false;
  /** The model of the last build: what the next keeps the identity of. */
  private lastModel: RoutingModel | undefined;

  /** The routing model of the last published snapshot. */
  currentModel(): RoutingModel | undefined {
    return this.lastModel;
  }

  constructor(
    private readonly store: ObjectStore,
    private readonly cache: SnapshotCache,
    private readonly options: ControllerOptions,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.debouncer = new Debouncer(() => this.rebuild(), options.holdoffMs ?? 50, options.maxMs ?? 500, options.timers ?? realTimers, options.leading ?? false);
    const builds = metrics.counter('splitplane_builds_total', 'Snapshot builds, by result.', ['result']);
    const seconds = metrics.counter('splitplane_build_seconds_total', 'Time spent building snapshots.', []);
    const duration = metrics.histogram(
      'splitplane_build_duration_seconds',
      'Time of one snapshot build (model, translate, encode, publish).',
      [],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    );
    this.recordBuild = (result: string, ms: number) => {
      builds({ result });
      seconds({}, ms / 1000);
      duration(ms / 1000);
    };
    const objects = metrics.gauge('splitplane_objects', 'Objects in the store, by kind.', ['kind']);
    this.recordObjects = (input) => {
      objects(input.ingresses.length, { kind: 'Ingress' });
      objects(input.services.length, { kind: 'Service' });
      objects(input.endpointSlices.length, { kind: 'EndpointSlice' });
      objects(input.ingressClasses.length, { kind: 'IngressClass' });
      objects(input.secrets?.length ?? 0, { kind: 'Secret' });
    };
    this.recordDiagnostics = metrics.gauge('splitplane_diagnostics', 'Current diagnostics, by severity.', ['severity']);
    const info = metrics.gauge('splitplane_snapshot_info', 'Published snapshot versions, one series per type (value 1).', ['type', 'version']);
    let previousVersions: Record<string, string> = {};
    this.recordVersion = (snapshot: Snapshot) => {
      for (const t of PUSH_ORDER) {
        const type = SHORT_NAME[t];
        if (previousVersions[type]) info(0, { type, version: previousVersions[type] });
        info(1, { type, version: snapshot.version(t) });
        previousVersions = { ...previousVersions, [type]: snapshot.version(t) };
      }
    };
  }

  /** Input changed: rebuild soon (debounced). */
  changed(): void {
    this.debouncer.trigger();
  }

  /** Rebuilds now; returns the published snapshot, or undefined when nothing was published. */
  rebuild(): Snapshot | undefined {
    // Until the source has read everything once, a build would serve part of the world (or nothing):
    // Envoys that reconnect after a restart would lose routes they still have.
    const waiting = this.options.source?.notReady();
    if (waiting !== undefined) {
      this.log.debug('not building yet', { waiting });
      return undefined;
    }
    const started = performance.now();
    try {
      const input = {
        ingresses: this.store.list<Ingress>('Ingress'),
        services: this.store.list<Service>('Service'),
        endpointSlices: this.store.list<EndpointSlice>('EndpointSlice'),
        ingressClasses: this.store.list<IngressClass>('IngressClass'),
        secrets: this.store.list<Secret>('Secret'),
        ingressClass: this.options.ingressClass,
        rejected: this.rejected,
        plans: this.plans,
      };
      this.recordObjects(input);
      // Only the hosts a change touches are built again when nothing else changed (model/incremental.ts).
      const { result, incremental } = buildModelIncremental(input, this.accepted, this.modelMemo);
      this.accepted = result.accepted;
      this.modelMemo = rememberBuild(input, result);
      // Unchanged virtual hosts keep their identity, so translation and encoding skip them.
      const model = keepIdentity(this.lastModel, result.model);
      this.lastModel = model;
      const modelled = performance.now();
      const resources = translate(model, this.options.translate);
      const translated = performance.now();
      const snapshot = Snapshot.fromResources(resources, this.encoder);
      const encoded = performance.now();
      this.lastBuildIncremental = incremental;
      const stages = { model: modelled - started, translate: translated - modelled, encode: encoded - translated, publish: 0 };
      this.lastBuild = stages;
      this.updateDiagnostics(this.options.source?.diagnostics() ?? [], this.store.conflicts(), result.diagnostics, this.currentRefusalNotes());
      const previous = this.cache.current();
      this.builds++;
      if (previous && PUSH_ORDER.every((t) => previous.version(t) === snapshot.version(t))) {
        this.recordBuild('unchanged', performance.now() - started);
        return undefined;
      }
      this.cache.publish(snapshot);
      this.options.observer?.published?.(model);
      this.history = [...this.history.slice(1 - HISTORY), { snapshot, accepted: result.accepted }];
      stages.publish = performance.now() - encoded;
      this.recordVersion(snapshot);
      const ms = performance.now() - started;
      this.recordBuild('published', ms);
      this.log.info('snapshot published', {
        ms: Math.round(ms * 10) / 10,
        stagesMs: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Math.round(v * 10) / 10])),
        versions: Object.fromEntries(PUSH_ORDER.map((t) => [SHORT_NAME[t], snapshot.version(t)])),
        clusters: snapshot.type(CLUSTER_TYPE).resources.size,
      });
      return snapshot;
    } catch (error) {
      // A bug of ours: every per-object step is guarded, so this is a whole-build failure. The last
      // published snapshot keeps serving, and the failure is a diagnostic as well as a log line.
      this.recordBuild('failed', performance.now() - started);
      const reason = error instanceof Error ? error.message : String(error);
      this.log.error('snapshot build failed; the previous configuration keeps serving', { error: error instanceof Error ? error.stack : reason });
      const failure: Diagnostic = {
        severity: 'error',
        object: { kind: 'Splitplane', name: 'rebuild' },
        field: 'snapshot',
        message: `the last rebuild failed (${reason.slice(0, 300)}), so no change since the last published snapshot is served; this is a splitplane bug, please report it with this message`,
      };
      this.updateDiagnostics(
        this.lastDiagnostics.filter((d) => d.object.kind !== 'Splitplane'),
        [failure],
      );
      return undefined;
    }
  }

  diagnostics(): Diagnostic[] {
    return this.lastDiagnostics;
  }

  /**
   * A client refused a version (a NACK). What it may change for the others is bounded (docs/safety.md):
   * its trace blames only what it subscribed to and what changed since its last ACK, a form another
   * client runs is never rolled back, and a rollback needs a majority of the clients that take that
   * kind of object. A rolled-back object serves the newest form a client runs, never nothing.
   */
  envoyRejected(nack: NackReport): void {
    const fields = { type: SHORT_NAME[nack.typeUrl], version: nack.version, node: nack.node.slice(0, 128), stream: nack.stream };
    const line = this.nackLines.take(`${nack.stream}`);
    const log = (level: 'warn' | 'error', msg: string, more: Record<string, unknown>) => {
      if (line.ok) this.log[level](msg, { ...fields, ...more, ...(line.suppressed > 0 ? { suppressedSinceLast: line.suppressed } : {}) });
    };
    if (nack.acceptedElsewhere > 0) {
      log('warn', 'NACK changes nothing: other proxies accepted this version, so the refusing proxy is the odd one', {});
      return;
    }
    const trace = traceNack(nack, this.history);
    if ('why' in trace) {
      log('warn', 'NACK blames no object; the refusing proxy keeps its last accepted configuration until the next change', { why: trace.why });
      return;
    }
    for (const suspect of trace.suspects) {
      let refusers = this.refusals.get(suspect.object);
      if (!refusers) this.refusals.set(suspect.object, (refusers = new Set()));
      refusers.add(nack.stream);
    }
    const verdicts = judgeNack(
      nack.typeUrl,
      trace.suspects,
      nack.stream,
      this.history,
      this.options.fleet?.() ?? [],
      (form) => this.refusals.get(form) ?? new Set(),
    );
    const rolledBack = verdicts.filter((v) => v.outcome === 'rolled-back');
    if (rolledBack.length > 0) this.modelMemo = undefined; // the refused and accepted forms change: the next build is a whole one
    for (const verdict of verdicts) {
      const { suspect } = verdict;
      const message = refusalMessage(nack, verdict);
      if (verdict.outcome !== 'rolled-back') {
        this.refusalNotes.set(suspect.key, {
          form: suspect.object,
          diagnostic: { severity: 'warning', object: refOfObject(suspect.object), field: REFUSED_FIELD[suspect.object.kind] ?? 'metadata', message },
        });
        continue;
      }
      this.refusalNotes.delete(suspect.key);
      this.rejected.set(suspect.object, { field: REFUSED_FIELD[suspect.object.kind] ?? 'metadata', message });
      if (this.accepted.get(suspect.key) === suspect.object) {
        if (verdict.restore) this.accepted.set(suspect.key, verdict.restore);
        else this.accepted.delete(suspect.key);
      }
    }
    log(
      rolledBack.length > 0 ? 'error' : 'warn',
      rolledBack.length > 0 ? 'a configuration was refused (NACK) and rolled back' : 'a configuration was refused (NACK); it keeps being served',
      {
        objects: verdicts
          .map((v) => `${v.suspect.key}: ${v.outcome} (${v.refusals} of ${v.eligible} refused, ${v.needed} needed, ${v.runningElsewhere} run it)`)
          .slice(0, 10),
      },
    );
    this.changed();
  }

  /** Warnings for refusals that changed nothing, while the form they name is the one served. */
  private currentRefusalNotes(): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const [key, note] of this.refusalNotes) {
      if (this.accepted.get(key) === note.form) out.push(note.diagnostic);
      else this.refusalNotes.delete(key);
    }
    return out;
  }

  flush(): void {
    this.debouncer.flush();
  }

  stop(): void {
    this.debouncer.cancel();
  }

  /** Lists of diagnostics, concatenated without spreading: a list may hold a hundred thousand entries. */
  private updateDiagnostics(...lists: ReadonlyArray<readonly Diagnostic[]>): void {
    const next: Diagnostic[] = [];
    for (const list of lists) for (const d of list) next.push(d.message.length > MAX_MESSAGE ? { ...d, message: boundedMessage(d.message) } : d);
    const sorted = sortDiagnostics(capPerObject(sortDiagnostics(next)));
    const before = new Set(this.lastDiagnostics.map(formatDiagnostic));
    const fresh: Diagnostic[] = [];
    for (const d of sorted) {
      const text = formatDiagnostic(d);
      if (before.has(text)) continue;
      fresh.push(d);
      const fields = { object: d.object, field: d.field, diagnostic: d.message };
      if (d.severity === 'error') this.log.error('input rejected', fields);
      else if (d.severity === 'warning') this.log.warn('input warning', fields);
      else this.log.info('input note', fields);
    }
    this.lastDiagnostics = sorted;
    if (fresh.length > 0) this.options.observer?.diagnostics?.(fresh);
    for (const severity of ['error', 'warning', 'info'] as const) this.recordDiagnostics(sorted.filter((d) => d.severity === severity).length, { severity });
  }
}

/** What a refusal did, in the words of the diagnostic on the object it blames. */
function refusalMessage(nack: NackReport, verdict: Judged): string {
  const { suspect } = verdict;
  const kind = suspect.object.kind;
  const refused = `A proxy (node ${JSON.stringify(nack.node.slice(0, 64))}) refused the ${SHORT_NAME[nack.typeUrl]} update built from this ${kind} (${suspect.resources.slice(0, 3).join(', ')}): ${JSON.stringify(nack.message)}`;
  const count = `${verdict.refusals} of ${verdict.eligible} connected ${verdict.eligible === 1 ? 'proxy' : 'proxies'} refused this form`;
  switch (verdict.outcome) {
    case 'protected':
      return `${refused}; ${verdict.runningElsewhere} other connected ${verdict.runningElsewhere === 1 ? 'proxy runs' : 'proxies run'} this form, so it keeps being served and the refusing proxy keeps its last accepted configuration: check that proxy (its version, its extensions)`;
    case 'held':
      return `${refused}; ${count}, fewer than the ${verdict.needed} a rollback needs, so it keeps being served and the refusing proxy keeps its last accepted configuration`;
    case 'rolled-back':
      return verdict.restore
        ? `${refused}; ${count} and none runs it, so the form a proxy runs keeps serving until this ${kind} changes. Envoy refusing what splitplane sends is a splitplane bug: please report it with this message`
        : `${refused}; ${count}, and no proxy ever ran this ${kind}, so it is not served until it changes. Envoy refusing what splitplane sends is a splitplane bug: please report it with this message`;
  }
}
