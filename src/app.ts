// Wiring: source (folder or API server) → store → controller (model → resources → snapshot) → cache →
// ADS and admin.
// Kept apart from main.ts so tests, the demo and benchmarks start the same thing in-process.

import type http from 'node:http';
import { statusDocument } from './gateway/status-view.js';
import { createAdminServer, listenAdmin } from './admin/server.js';
import { defaultStateDir, type Config } from './config.js';
import { Controller } from './controller.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { envoyRoot } from './proto/registry.js';
import { SnapshotCache } from './snapshot/cache.js';
import { FileSource } from './source/file.js';
import { KubeSource } from './source/kube.js';
import type { Source } from './source/source.js';
import { KubeConfig } from '@kubernetes/client-node';
import { leaseNamespace, startClusterWriters, type ClusterWriters } from './kube/writers.js';
import { ObjectStore } from './store/store.js';
import { AdsServer, type StreamInfo } from './xds/server.js';
import type { FleetMember } from './nack/verdict.js';
import { xdsServerCredentials } from './xds/credentials.js';
import { clientStatus } from './xds/client-status.js';
import { rollout } from './fleet/rollout.js';
import { fleetClients, fleetRollout, unlistedProxies } from './fleet/report.js';
import { Traffic } from './traffic/traffic.js';
import { RolloutDriver } from './rollout/driver.js';
import { FileStateStore, type RolloutStateStore } from './rollout/state-store.js';
import { ConfigMapStateStore } from './kube/rollout-states.js';
import { KubeClient } from './kube/client.js';
import { peerAddress } from './xds/credentials.js';

export interface App {
  config: Config;
  store: ObjectStore;
  cache: SnapshotCache;
  controller: Controller;
  ads: AdsServer;
  source: Source;
  /** Leader election and what the leader writes to the cluster (Kubernetes source only). */
  writers?: ClusterWriters;
  /** Each version's live traffic, from the proxies' load reports. */
  traffic: Traffic;
  /** Automated rollouts. */
  rollouts: RolloutDriver;
  metrics: Metrics;
  xdsPort: number;
  adminPort: number;
  stop(): Promise<void>;
}

export async function startApp(config: Config, log: Logger): Promise<App> {
  const metrics = new Metrics({ process: true });
  const store = new ObjectStore();
  const cache = new SnapshotCache();
  const kubeConfig = config.source === 'kube' ? loadKubeConfig(config) : undefined;
  const source = createSource(config, store, log, kubeConfig);
  let writers: ClusterWriters | undefined;
  if (kubeConfig) {
    const publish = config.publishAddress ? { address: config.publishAddress } : config.publishService ? { service: config.publishService } : undefined;
    writers = startClusterWriters(
      kubeConfig,
      store,
      {
        ingressClass: config.ingressClass,
        publish,
        leaderElect: config.leaderElect,
        lease: config.lease,
        leaseNamespace: config.leaseNamespace,
        fleetReports: config.fleetReports,
        gatewayControllerName: config.gatewayControllerName,
      },
      log,
    );
  }
  const rolloutStore = createRolloutStore(config, log, kubeConfig, writers);
  const rollouts = new RolloutDriver(
    rolloutStore,
    {
      reportIntervalMs: config.loadReportIntervalMs,
      leader: () => writers?.isLeader() ?? true,
      changed: () => controller.changed(),
      notice: (ref, notice) => writers?.rolloutNotice(ref, notice),
    },
    log.child({ component: 'rollout' }),
  );
  // `splitplane rollout` in kube mode: the command arrives through the ConfigMap, for the leader.
  rolloutStore.onCommand?.((c) => {
    const groups = rollouts.command(c.ingress, c.command);
    log.info('rollout command', { ingress: c.ingress, command: c.command, groups: groups.length, at: c.at });
  });
  const controller = new Controller(
    store,
    cache,
    {
      ingressClass: config.ingressClass,
      gatewayControllerName: config.gatewayControllerName,
      publishAddresses: config.publishAddress ? [config.publishAddress] : [],
      translate: {
        http: { address: '0.0.0.0', port: config.httpPort },
        https: { address: '0.0.0.0', port: config.httpsPort },
        httpsRedirectPort: config.httpsRedirectPort,
      },
      // What the source reports, and what keeps this replica from writing to the cluster (the Lease).
      source: {
        diagnostics: () => [...source.diagnostics(), ...(writers?.diagnostics() ?? [])],
        notReady: () => source.notReady(),
      },
      observer: writers?.observer,
      holdoffMs: config.rebuildHoldoffMs,
      maxMs: config.rebuildMaxMs,
      // The first change after a quiet holdoff is built at once: kube objects arrive whole, and the file
      // source reads a file only after its writes have paused (source/file.ts).
      leading: true,
      fleet: () => ads.list().map(fleetMember),
      rollouts,
    },
    log.child({ component: 'controller' }),
    metrics,
  );
  // A replica that cannot take the Lease says so as a diagnostic (and on the dashboard) at once.
  writers?.onDiagnostics(() => controller.changed());
  const credentials = config.xdsTls ? xdsServerCredentials(config.xdsTls) : undefined;
  const ads = new AdsServer(cache, log.child({ component: 'xds' }), metrics, {
    onNack: (nack) => controller.envoyRejected(nack),
    secretsTo: config.xdsTls || config.insecureXds ? 'everyone' : 'loopback',
    maxStreamsPerPeer: config.maxStreamsPerPeer,
  });
  const holdingClients = () => ads.list().map((s) => ({ stream: s.stream, address: peerAddress(s.peer) }));
  const traffic = new Traffic(
    {
      intervalMs: config.loadReportIntervalMs,
      maxReportsPerSecond: config.maxLoadReportsPerSecond,
      maxStreamsPerPeer: config.maxStreamsPerPeer,
      clients: holdingClients,
      connected: (node, address) => ads.hasNode(node, address),
      snapshot: () => cache.current(),
    },
    log.child({ component: 'load-reports' }),
    metrics,
  );
  ads.addService(traffic.definition, traffic.reporting.handlers());
  ads.addService(traffic.metricsDefinition, traffic.metricsSink.handlers());
  let admin: http.Server | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    // Loading Envoy's API takes seconds on a slow machine: say so rather than sit silent.
    const loading = performance.now();
    log.info('loading the Envoy API from @grpc/grpc-js-xds');
    envoyRoot();
    log.info('Envoy API loaded', { ms: Math.round(performance.now() - loading) });
    await source.start(() => {
      controller.changed();
      writers?.changed();
    });
    controller.rebuild(); // the first snapshot is published before anyone connects
    // This replica's own proxies: what it publishes for the others, and what it joins their reports with.
    const localRollout = () =>
      rollout(
        controller.currentModel(),
        cache.current(),
        ads.list().map((s) => s.stream),
      );
    const localClients = () => ads.list().map((s) => clientStatus(s.stream, s.openedAt, cache.current()));
    writers?.watchFleet(
      () => {
        const groups = localRollout();
        return { groups, clients: localClients(), traffic: traffic.published(groups) };
      },
      // Everything the state is made of: the model, the snapshot, the streams and this replica's traffic.
      () => [controller.currentModel(), cache.current(), ads.revision, traffic.revision],
    );
    const fleetGroups = () => fleetRollout(localRollout(), writers?.remotes() ?? []);
    // Every report interval: the traffic figures are refreshed and each rollout looks at them.
    ticker = setInterval(() => {
      try {
        traffic.prune();
        if (writers) traffic.joinRemote(writers.remotes());
        rollouts.tick({
          published: () => controller.currentModel(),
          fleet: fleetGroups,
          figures: (host, clusters, from, to) => traffic.figures(host, clusters, from, to),
          reportsTaken: () => traffic.reportsTaken(),
        });
      } catch (error) {
        log.error('rollout tick failed; it runs again at the next interval', { error: error instanceof Error ? error.stack : String(error) });
      }
    }, config.loadReportIntervalMs);
    ticker.unref();
    const xdsPort = await ads.listen(config.xdsHost, config.xdsPort, credentials);
    logXdsSecurity(config, log);
    admin = createAdminServer(
      {
        snapshot: () => cache.current(),
        notReady: () => source.notReady() ?? (cache.current() ? undefined : 'no snapshot has been published yet'),
        diagnostics: () => controller.diagnostics(),
        streams: () => ads.list().map((s) => ({ id: s.id, peer: s.peer, openedAt: s.openedAt, unsentBytes: s.unsentBytes(), ...s.stream.describe() })),
        // The whole fleet: this replica's proxies, and those the other replicas report (kube mode).
        clients: () => fleetClients(localClients(), writers?.remotes() ?? []),
        rollout: fleetGroups,
        traffic: (windowMs) => traffic.groups(localRollout(), windowMs),
        rollouts: () => rollouts.status(),
        gatewayStatus: () => (controller.gatewayStatuses ? statusDocument(controller.gatewayStatuses) : []),
        rolloutCommand: (ingress, command) => rollouts.command(ingress, command),
        beforeMetrics: () => traffic.setGauges(localRollout()),
        unlistedProxies: () => unlistedProxies(writers?.remotes() ?? []),
        metrics,
      },
      { bindAddress: config.adminHost },
    );
    const adminPort = await listenAdmin(admin, config.adminHost, config.adminPort);
    log.info('splitplane serving', {
      source: config.source === 'kube' ? `kube${config.namespace ? ` (namespace ${config.namespace})` : ''}` : config.manifests,
      xds: `${config.xdsHost}:${xdsPort}`,
      admin: `http://${config.adminHost}:${adminPort}/`,
      envoyHttpPort: config.httpPort,
      envoyHttpsPort: config.httpsPort,
    });
    return {
      config,
      store,
      cache,
      controller,
      ads,
      source,
      writers,
      traffic,
      rollouts,
      metrics,
      xdsPort,
      adminPort,
      async stop() {
        clearInterval(ticker);
        await source.stop();
        await writers?.stop();
        controller.stop();
        await rollouts.flush();
        rolloutStore.stop?.();
        traffic.close();
        await ads.close();
        await new Promise<void>((resolve) => {
          admin?.closeAllConnections();
          admin?.close(() => resolve());
        });
      },
    };
  } catch (error) {
    clearInterval(ticker);
    await source.stop();
    await writers?.stop();
    controller.stop();
    rolloutStore.stop?.();
    traffic.close();
    await ads.close();
    admin?.close();
    throw error;
  }
}

/** A connected stream as the NACK rules see it: its view and, per type, what it ACKed. */
function fleetMember(info: StreamInfo): FleetMember {
  const stream = info.stream;
  return {
    id: info.id,
    view: stream.routing,
    runs(typeUrl) {
      const state = stream.types[typeUrl];
      return state.ackedVersion === undefined ? undefined : { version: state.ackedVersion, resources: state.applied };
    },
  };
}

/** Says at start-up who can connect to xDS and who gets private keys. */
function logXdsSecurity(config: Config, log: Logger): void {
  if (config.xdsTls) {
    log.info('xDS security: TLS, and every client must present a certificate signed by --xds-client-ca', { clientCa: config.xdsTls.clientCa });
  } else if (config.insecureXds) {
    log.warn(
      'xDS security: plain text, and --insecure-xds sends TLS private keys (SDS) to any client that connects; use --xds-tls-cert, --xds-tls-key and --xds-client-ca outside a trusted network',
      { xds: `${config.xdsHost}:${config.xdsPort}` },
    );
  } else {
    log.info(
      'xDS security: plain text; TLS private keys (SDS) go to clients on loopback only (--xds-tls-cert, --xds-tls-key and --xds-client-ca to serve them to remote Envoys)',
      { xds: `${config.xdsHost}:${config.xdsPort}` },
    );
  }
}

/**
 * Where rollouts keep their state: a file under --state-dir (file mode), read before the first build
 * so a restart resumes each rollout where it was.
 */
function createRolloutStore(
  config: Config,
  log: Logger,
  kubeConfig?: KubeConfig,
  writers?: ClusterWriters,
): RolloutStateStore & { onCommand?: ConfigMapStateStore['onCommand'] } {
  if (kubeConfig) {
    // Kubernetes mode: a ConfigMap of ours next to the Lease, written by the leader, read by every replica.
    const store = new ConfigMapStateStore(
      new KubeClient(kubeConfig),
      { namespace: leaseNamespace(kubeConfig, config.leaseNamespace), ingressClass: config.ingressClass, isLeader: () => writers?.isLeader() ?? true },
      log.child({ component: 'rollout-state' }),
    );
    store.start();
    return store;
  }
  const store = new FileStateStore(config.stateDir || defaultStateDir(process.env), config.manifests);
  try {
    store.load();
  } catch (error) {
    log.error('the saved rollout state cannot be read; rollouts start from their first step', {
      where: store.where,
      error: String(error),
      hint: 'fix or remove the file, or give another --state-dir',
    });
  }
  return store;
}

function loadKubeConfig(config: Config): KubeConfig {
  const kubeConfig = new KubeConfig();
  // As kubectl: --kubeconfig, else $KUBECONFIG (merged), else ~/.kube/config, else the pod's service account.
  if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}

function createSource(config: Config, store: ObjectStore, log: Logger, kubeConfig: KubeConfig | undefined): Source {
  if (kubeConfig)
    return new KubeSource(kubeConfig, store, log.child({ component: 'kube-source' }), {
      namespace: config.namespace,
      ingressClass: config.ingressClass,
      gatewayControllerName: config.gatewayControllerName,
      ...(config.kubeBackoff ? { backoff: config.kubeBackoff } : {}),
    });
  return new FileSource(config.manifests, store, log.child({ component: 'file-source' }), { maxFileBytes: config.maxFileBytes });
}
