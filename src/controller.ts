// The rebuild loop: store → model → resources → snapshot → cache, debounced. It keeps the only state
// the pure stages need carried over (the last accepted Ingresses) and the diagnostics of the last build.

import { Debouncer, type Timers, realTimers } from './debounce.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { buildModelIncremental, rememberBuild, type ModelMemo } from './model/incremental.js';
import { PlanCache } from './model/plan-cache.js';
import { ClusterIndex } from './model/backends.js';
import type { ModelInput } from './model/build.js';
import { keepIdentity } from './model/identity.js';
import type { RoutingModel } from './model/types.js';
import { MAX_MESSAGE, boundedMessage, capPerObject, formatDiagnostic, sortDiagnostics, type Diagnostic } from './objects/diagnostics.js';
import type { EndpointSlice, Ingress, IngressClass, KubeObject, Secret, Service } from './objects/kube.js';
import { DEFAULT_CONTROLLER_NAME, gatewayObjects } from './gateway/build.js';
import type { GatewayStatuses } from './gateway/conditions.js';
import { TranslationMemo, translate, type TranslateOptions } from './resources/translate.js';
import { CLUSTER_TYPE, PUSH_ORDER, SHORT_NAME } from './proto/type-urls.js';
import type { SnapshotCache } from './snapshot/cache.js';
import { Snapshot, SnapshotEncoder } from './snapshot/snapshot.js';
import type { Source } from './source/source.js';
import type { ObjectStore } from './store/store.js';
import type { BuildRecord } from './nack/trace.js';
import type { FleetMember } from './nack/verdict.js';
import { Refusals } from './nack/refusals.js';
import type { NackReport } from './xds/server.js';
import type { RolloutDriver } from './rollout/driver.js';
import { withRolloutWeights } from './rollout/apply.js';
import { rolloutSpecOf } from './rollout/annotation.js';

export interface ControllerObserver {
  diagnostics?(fresh: readonly Diagnostic[]): void;
  published?(model: RoutingModel): void;
  /** After every build: the Gateway API statuses it decided (written by the leader when they change). */
  gatewayStatuses?(statuses: GatewayStatuses | undefined): void;
}

export interface ControllerOptions {
  ingressClass: string;
  /** Gateway API: GatewayClasses with this controllerName are ours (default splitplane.io/gateway-controller). */
  gatewayControllerName?: string;
  /** Addresses published in Gateway status (--publish-address). */
  publishAddresses?: readonly string[];
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
  /** Automated rollouts: the weights they serve go into each build (rollout/driver.ts). */
  rollouts?: RolloutDriver;
}

/** How many published builds are remembered for tracing NACKs back to objects. */
const HISTORY = 16;

export class Controller {
  private accepted = new Map<string, KubeObject>();
  private history: BuildRecord[] = [];
  /** Refused versions: what they blame and what that changes (nack/refusals.ts). */
  private readonly refusals: Refusals;
  private lastDiagnostics: Diagnostic[] = [];
  private readonly debouncer: Debouncer;
  private readonly encoder = new SnapshotEncoder();
  /** What translation carries from build to build: the lists it maps place by place. */
  private readonly translation = new TranslationMemo();
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
  /** The cluster state's index, kept while Services and EndpointSlices are unchanged (model/backends.ts). */
  private readonly clusterIndex = new ClusterIndex();
  /** Whether the last build did only the touched hosts. */
  lastBuildIncremental = false;
  /** The model of the last build: what the next keeps the identity of. */
  private lastModel: RoutingModel | undefined;

  /** The routing model of the last published snapshot. */
  currentModel(): RoutingModel | undefined {
    return this.lastModel;
  }

  /** Conditions of the Gateway API objects of our classes, as the last build decided them. */
  gatewayStatuses: GatewayStatuses | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly cache: SnapshotCache,
    private readonly options: ControllerOptions,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.refusals = new Refusals({
      history: () => this.history,
      accepted: () => this.accepted,
      fleet: () => this.options.fleet?.() ?? [],
      changed: (whole) => {
        // The refused and accepted forms changed: the next build is a whole one.
        if (whole) this.modelMemo = undefined;
        this.changed();
      },
      log: this.log,
      timers: options.timers ?? realTimers,
    });
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

  /** Whether a rebuild is scheduled. */
  get pending(): boolean {
    return this.debouncer.pending;
  }

  /** Input changed: rebuild soon (debounced). */
  changed(): void {
    this.debouncer.trigger();
  }

  /** Rebuilds now; returns the published snapshot, or undefined when nothing was published. */
  rebuild(): Snapshot | undefined {
    // Until the source has read everything once, a build would serve part of the world (or nothing):
    // Envoys that reconnect after a restart would lose routes they still have.
    const waiting = this.options.source?.notReady() ?? this.options.rollouts?.notReady();
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
        rejected: this.refusals.rejected,
        plans: this.plans,
        clusterIndex: this.clusterIndex,
        gateway: {
          ...gatewayObjects((kind) => this.store.list(kind)),
          controllerName: this.options.gatewayControllerName ?? DEFAULT_CONTROLLER_NAME,
          addresses: this.options.publishAddresses ?? [],
          ingressPorts: { http: this.options.translate.http.port, ...(this.options.translate.https ? { https: this.options.translate.https.port } : {}) },
        },
      };
      this.recordObjects(input);
      // Only the hosts a change touches are built again when nothing else changed (model/incremental.ts).
      const { result, incremental, index } = buildModelIncremental(input, this.accepted, this.modelMemo);
      this.accepted = result.accepted;
      this.gatewayStatuses = result.gatewayStatuses;
      this.options.observer?.gatewayStatuses?.(result.gatewayStatuses);
      this.modelMemo = rememberBuild(input, result, index);
      // A group under an automated rollout serves the rollout's weights, not the declared ones.
      const accepted = this.accepted;
      // An Ingress is `<namespace>/<name>`; a route is `<kind>/<namespace>/<name>`, its key in `accepted` as it is.
      const rolloutWeights = this.options.rollouts?.weights(result.model, (key) =>
        rolloutSpecOf(accepted.get(/^(HTTPRoute|GRPCRoute)\//.test(key) ? key : `Ingress/${key}`)),
      );
      const served = rolloutWeights ? withRolloutWeights(result.model, rolloutWeights) : result.model;
      // Unchanged virtual hosts keep their identity, so translation and encoding skip them.
      const model = keepIdentity(this.lastModel, served);
      this.lastModel = model;
      const modelled = performance.now();
      const resources = translate(model, this.options.translate, this.translation);
      const translated = performance.now();
      const snapshot = Snapshot.fromResources(resources, this.encoder);
      const encoded = performance.now();
      this.lastBuildIncremental = incremental;
      const stages = { model: modelled - started, translate: translated - modelled, encode: encoded - translated, publish: 0 };
      this.lastBuild = stages;
      // Diagnostics are brought up to date after the publish: the first streams have their bytes sooner.
      const diagnose = () =>
        this.updateDiagnostics(
          this.options.source?.diagnostics() ?? [],
          this.store.conflicts(),
          result.diagnostics,
          this.refusals.diagnostics(),
          this.options.rollouts?.diagnostics() ?? [],
        );
      const previous = this.cache.current();
      this.builds++;
      if (previous && PUSH_ORDER.every((t) => previous.version(t) === snapshot.version(t))) {
        diagnose();
        this.recordBuild('unchanged', performance.now() - started);
        return undefined;
      }
      this.cache.publish(snapshot);
      diagnose();
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

  /** A client refused a version (a NACK): nack/refusals.ts judges and carries out what it may change. */
  envoyRejected(nack: NackReport): void {
    this.refusals.refused(nack);
  }

  flush(): void {
    this.debouncer.flush();
  }

  stop(): void {
    this.debouncer.cancel();
    this.refusals.stop();
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
