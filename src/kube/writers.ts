// What splitplane writes back to the cluster, and who may: leader election, Ingress status (and, with
// the events recorder, Events). Started only with the Kubernetes source.

import { randomUUID } from 'node:crypto';
import os from 'node:os';
import fs from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import { FleetReports, type FleetReportsOptions } from './fleet-reports.js';
import { fleetClients, fleetReport, fleetRollout, type FleetReport } from '../fleet/report.js';
import type { Diagnostic } from '../objects/diagnostics.js';
import type { ObjectStore } from '../store/store.js';
import { KubeClient } from './client.js';
import { sameObjects } from '../model/identity.js';
import { LeaderElector } from './leader.js';
import { StatusWriter, publishedAddresses, type PublishTarget } from './status.js';
import { GatewayStatusWriter } from './gateway-status.js';
import { DEFAULT_CONTROLLER_NAME } from '../gateway/build.js';
import type { GatewayStatuses } from '../gateway/conditions.js';
import { EventRecorder } from './events.js';
import { changedSplits, splitSummaries, type SplitSummary } from './split-summary.js';
import { RolloutWatcher, type RolloutState } from './rollout-events.js';
import type { ControllerObserver } from '../controller.js';
import type { KubeObject } from '../objects/kube.js';
import type { ObjectRef } from '../objects/diagnostics.js';
import type { Notice } from '../rollout/machine.js';

export interface WritersOptions {
  ingressClass: string;
  publish?: PublishTarget;
  leaderElect: boolean;
  /** Lease timings; tests shorten them. */
  lease?: { durationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  /** The namespace of the Lease, when a test names it; else leaseNamespace(). */
  namespace?: string;
  /** --lease-namespace: the Lease's namespace when neither POD_NAMESPACE nor the kubeconfig context names one. */
  leaseNamespace?: string;
  /** Timings of the fleet reports; tests shorten them. */
  fleetReports?: Pick<FleetReportsOptions, 'writeMs' | 'renewMs'>;
  identity?: string;
  /** How long a changed split may take to reach every connected proxy before a RolloutStalled Warning. */
  rolloutTimeoutMs?: number;
  /** Gateway API: our controllerName, for the status entries we own. */
  gatewayControllerName?: string;
}

export interface ClusterWriters {
  elector?: LeaderElector;
  status?: StatusWriter;
  events: EventRecorder;
  /** Hands the controller's news (diagnostics, published splits) to the Events recorder. */
  observer: ControllerObserver;
  isLeader(): boolean;
  /** The store changed: statuses may need writing. */
  changed(): void;
  /**
   * Where to read this replica's fleet state from (the xDS server starts after the writers): it is
   * published for the other replicas, and the rollout Events count the whole fleet. `revision` moves
   * whenever the state may have changed: the report, looked at every second, is made again only then.
   */
  watchFleet(state: () => RolloutState, revision: () => readonly unknown[]): void;
  /** The live reports of the other replicas (fleet/report.ts joins them with this one's). */
  remotes(): FleetReport[];
  /** What keeps this replica from writing to the cluster (it cannot take the Lease), as diagnostics. */
  diagnostics(): Diagnostic[];
  /** Called when diagnostics() changes. */
  onDiagnostics(listener: () => void): void;
  /** An automated rollout moved (a step, a hold, an abort): an Event on the Ingress carrying it. */
  rolloutNotice(ingress: ObjectRef, notice: Notice): void;
  stop(): Promise<void>;
}

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The namespace of the Lease when nothing else names one: where deploy/ installs splitplane. */
export const DEFAULT_LEASE_NAMESPACE = 'splitplane';

/**
 * The namespace of the Lease: POD_NAMESPACE (the downward API, as deploy/ sets it), else the kubeconfig
 * context's namespace (in a pod, the service account's), else --lease-namespace (default splitplane).
 */
export function leaseNamespace(
  config: Pick<KubeConfig, 'getCurrentContext' | 'getContextObject'> | undefined,
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  const context = config?.getContextObject(config.getCurrentContext())?.namespace?.trim();
  if (context) return context;
  if (flag) return flag;
  try {
    return fs.readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim() || DEFAULT_LEASE_NAMESPACE;
  } catch {
    return DEFAULT_LEASE_NAMESPACE;
  }
}

/** Requests in flight at once from the writers of many objects (client-go's writers are throttled too). */
const WRITE_CONNECTIONS = 4;

export function startClusterWriters(config: KubeConfig, store: ObjectStore, options: WritersOptions, log: Logger): ClusterWriters {
  // The Lease and the fleet report must never wait behind a burst of writes (an Event per split when a
  // leader starts, a status per Ingress): they have a client of their own, and the writers of many
  // objects share one that keeps at most WRITE_CONNECTIONS requests in flight.
  const control = new KubeClient(config);
  const client = new KubeClient(config, { maxConnections: WRITE_CONNECTIONS });
  // The pod name in a cluster; elsewhere the host, the process and a random part, so that two replicas
  // never share an identity (and both believe they hold the Lease).
  const identity = options.identity ?? process.env.POD_NAME ?? `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  let elector: LeaderElector | undefined;
  if (options.leaderElect) {
    elector = new LeaderElector(
      control,
      {
        namespace: options.namespace ?? leaseNamespace(config, options.leaseNamespace),
        name: `splitplane-${options.ingressClass}`,
        identity,
        leaseDurationMs: options.lease?.durationMs,
        renewDeadlineMs: options.lease?.renewDeadlineMs,
        retryPeriodMs: options.lease?.retryPeriodMs,
      },
      log.child({ component: 'leader-election' }),
    );
  }
  const isLeader = () => (elector ? elector.isLeader() : true);
  const events = new EventRecorder(client, { isLeader, instance: identity }, log.child({ component: 'events' }));
  let splits = new Map<string, SplitSummary>();
  const recordSplits = (list: Iterable<SplitSummary>) => {
    for (const s of list) {
      const object = store.get<KubeObject>(s.kind, s.namespace, s.ingress);
      if (object) void events.record({ object, type: 'Normal', reason: 'SplitApplied', message: s.text });
    }
  };
  const rollouts = new RolloutWatcher((e) => {
    const object = store.get<KubeObject>(e.kind, e.namespace, e.ingress);
    if (object) void events.record({ object, type: e.type, reason: e.reason, message: e.message });
  }, options.rolloutTimeoutMs);
  let fleet: (() => RolloutState) | undefined;
  let fleetRevision: () => readonly unknown[] = () => [];
  /**
   * This replica's fleet state as last made, and the revision it was made at: the report (every second)
   * and the rollout watcher (every second while a split waits) look at it, and a fleet at rest costs nothing.
   */
  let lastState: { revision: readonly unknown[]; state: RolloutState } | undefined;
  const fleetState = (): RolloutState | undefined => {
    if (!fleet) return undefined;
    const revision = fleetRevision();
    if (!lastState || !sameObjects(lastState.revision, revision)) lastState = { revision, state: fleet() };
    return lastState.state;
  };
  let lastReport: { state: RolloutState | undefined; report: FleetReport } | undefined;
  // Every replica publishes what its proxies run and reads the others' (fleet/report.ts, fleet-reports.ts).
  const reports = new FleetReports(
    control,
    { namespace: options.namespace ?? leaseNamespace(config, options.leaseNamespace), identity, ...options.fleetReports },
    () => {
      const state = fleetState();
      // The same state is the same report object: the writer then skips serializing it.
      if (!lastReport || lastReport.state !== state)
        lastReport = { state, report: fleetReport(identity, state?.groups ?? [], state?.clients ?? [], state?.traffic) };
      return lastReport.report;
    },
    log.child({ component: 'fleet-reports' }),
  );
  // Checked every second while a split waits for the fleet (all of it, every replica's proxies).
  const fleetTimer = setInterval(() => {
    if (!fleet || rollouts.watching === 0) return;
    const state = fleetState()!;
    const remotes = reports.remotes();
    rollouts.check({ groups: fleetRollout(state.groups, remotes), clients: fleetClients(state.clients, remotes) });
  }, 1000);
  fleetTimer.unref();
  const observer: ControllerObserver = {
    diagnostics: (fresh) => events.diagnostics(fresh, (kind, namespace, name) => store.get(kind, namespace, name)),
    published: (model) => {
      const next = splitSummaries(model);
      const changed = changedSplits(splits, next);
      recordSplits(changed);
      rollouts.changed(changed);
      splits = next;
    },
  };
  const status = options.publish
    ? new StatusWriter(client, store, { ingressClass: options.ingressClass, publish: options.publish, isLeader }, log.child({ component: 'ingress-status' }))
    : undefined;
  let gatewayStatuses: GatewayStatuses | undefined;
  const publish = options.publish;
  const gatewayStatus = new GatewayStatusWriter(
    client,
    {
      controllerName: options.gatewayControllerName ?? DEFAULT_CONTROLLER_NAME,
      isLeader,
      statuses: () => gatewayStatuses,
      addresses: async () =>
        publish
          ? (await publishedAddresses(client, publish)).map((a) => ('ip' in a ? { type: 'IPAddress', value: a.ip } : { type: 'Hostname', value: a.hostname }))
          : undefined,
    },
    log.child({ component: 'gateway-status' }),
  );
  observer.gatewayStatuses = (next) => {
    gatewayStatuses = next;
    gatewayStatus.changed();
  };
  // A new leader states the splits in force: those the last leader reported are counted once more,
  // and any it did not get to (it stopped first) are reported now.
  elector?.onChange((leading) => {
    status?.changed();
    gatewayStatus.leadershipChanged();
    if (leading) recordSplits(splits.values());
  });
  elector?.start();
  status?.start();
  gatewayStatus.start();
  if (!options.publish)
    log.info('Ingress status is not written: give --publish-address ADDR or --publish-service NS/NAME to show an ADDRESS in kubectl get ingress');
  return {
    elector,
    status,
    events,
    observer,
    isLeader,
    changed: () => status?.changed(),
    watchFleet: (state, revision) => {
      fleet = state;
      fleetRevision = revision;
      reports.start();
    },
    remotes: () => reports.remotes(),
    diagnostics: () => {
      const problem = elector?.problem();
      return problem === undefined
        ? []
        : [
            {
              severity: 'error',
              object: { kind: 'Splitplane', name: 'leader-election' },
              field: 'lease',
              message: `${problem}. The namespace comes from POD_NAMESPACE, else the kubeconfig context, else --lease-namespace; RBAC (deploy/rbac.yaml) must allow Leases there`,
            },
          ];
    },
    onDiagnostics: (listener) => elector?.onProblem(listener),
    rolloutNotice: (ref, notice) => {
      const object = store.get<KubeObject>(ref.kind || 'Ingress', ref.namespace ?? 'default', ref.name);
      if (object) void events.record({ object, type: notice.type, reason: notice.reason, message: notice.message });
    },
    async stop() {
      clearInterval(fleetTimer);
      await events.stop();
      await reports.stop();
      status?.stop();
      gatewayStatus.stop();
      await elector?.stop();
      control.close();
      // Writes still queued (an Event per split at a leader's start, thousands) are abandoned, not left running.
      client.close();
    },
  };
}
