// Flags and environment into one typed Config. Unknown flags and bad values stop the program with a
// message that says what to write instead.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eachFlag } from './flags.js';
import type { Level } from './log.js';
import { DEFAULT_MAX_FILE_BYTES } from './source/file-options.js';
import { DEFAULT_MAX_STREAMS_PER_PEER } from './xds/limits.js';
import { DEFAULT_CONTROLLER_NAME } from './gateway/build.js';
import { DEFAULT_MAX_REPORTS_PER_SECOND, DEFAULT_REPORT_INTERVAL_MS } from './traffic/load-reporting.js';

export interface Config {
  /** Where objects come from: a folder (the default) or the Kubernetes API server. */
  source: 'file' | 'kube';
  manifests: string;
  /** Kubeconfig for --source kube; in-cluster configuration when undefined. */
  kubeconfig?: string;
  /** Read one namespace only (--source kube). */
  namespace?: string;
  /** What Ingress status says: an address, or a Service whose load balancer to copy. */
  publishAddress?: string;
  publishService?: { namespace: string; name: string };
  /** Elect a leader with a Lease; only the leader writes status and Events. On by default in a pod. */
  leaderElect: boolean;
  /** Lease timings (not a flag: tests shorten them). */
  lease?: { durationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  /** Fleet report timings (not a flag: tests shorten them). */
  fleetReports?: { writeMs?: number; renewMs?: number };
  /** Informer restarts after a failed watch (and re-reads of an API not installed); tests shorten them. */
  kubeBackoff?: { initialMs: number; maxMs: number };
  /** --lease-namespace: where the Lease goes when neither POD_NAMESPACE nor the kubeconfig context names a namespace. */
  leaseNamespace?: string;
  xdsHost: string;
  xdsPort: number;
  adminHost: string;
  adminPort: number;
  httpPort: number;
  httpsPort: number;
  /** The port clients reach HTTPS on, when something in front maps it (443 → 8443); else httpsPort. */
  httpsRedirectPort?: number;
  ingressClass: string;
  /** GatewayClasses whose spec.controllerName is this are ours. */
  gatewayControllerName: string;
  logLevel: Level;
  /** Manifest files larger than this are not read. */
  maxFileBytes: number;
  /** ADS streams one peer address may hold open. */
  maxStreamsPerPeer: number;
  /** The rebuild loop: wait this long after the last change, and never longer than maxMs after the first. */
  rebuildHoldoffMs: number;
  rebuildMaxMs: number;
  /** TLS for the xDS port, with client certificates checked against clientCa (PEM file paths). */
  xdsTls?: { cert: string; key: string; clientCa: string };
  /** Without TLS, serve TLS secrets (SDS) to clients that are not on loopback too. */
  insecureXds: boolean;
  /** How often proxies are asked to report each version's traffic (LRS), in milliseconds. */
  loadReportIntervalMs: number;
  /** Load reports per second across the fleet; a larger fleet is asked to report less often. */
  maxLoadReportsPerSecond: number;
  /** File mode: where rollout state is kept across restarts ('' : defaultStateDir); kube mode keeps it in a ConfigMap. */
  stateDir: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** The embedded default: the blue-green example shipped in this repository. */
export const DEFAULT_MANIFESTS = path.resolve(here, '..', '..', 'deploy', 'examples', 'blue-green');

export const DEFAULTS: Config = {
  source: 'file',
  manifests: DEFAULT_MANIFESTS,
  xdsHost: '0.0.0.0',
  xdsPort: 18000,
  adminHost: '127.0.0.1',
  adminPort: 19000,
  httpPort: 8080,
  httpsPort: 8443,
  ingressClass: 'splitplane',
  gatewayControllerName: DEFAULT_CONTROLLER_NAME,
  logLevel: 'info',
  maxFileBytes: DEFAULT_MAX_FILE_BYTES,
  maxStreamsPerPeer: DEFAULT_MAX_STREAMS_PER_PEER,
  rebuildHoldoffMs: 50,
  rebuildMaxMs: 500,
  insecureXds: false,
  leaderElect: false,
  loadReportIntervalMs: DEFAULT_REPORT_INTERVAL_MS,
  maxLoadReportsPerSecond: DEFAULT_MAX_REPORTS_PER_SECOND,
  stateDir: '',
};

export const USAGE = `usage: splitplane [flags]
       splitplane certgen --out DIR   (CA, server and client certificates for xDS with TLS; --help for more)
       splitplane translate -f FILE|DIR   (the Envoy resources for some manifests, no server; --help for more)
       splitplane status [--admin URL]   (the rollout and each proxy's sync state, from the admin API)
       splitplane rollout pause|resume|abort|promote NS/NAME   (steer an automated rollout; --help for more)
  --source file|kube     where objects come from: a folder of manifests, or the Kubernetes API server
                         (default: kube inside a pod or with --kubeconfig, else file)
  --manifests DIR        folder of Ingress/Service/EndpointSlice YAML to serve, watched live (default: deploy/examples/blue-green)
  --kubeconfig FILE      kubeconfig for --source kube (default, as kubectl: $KUBECONFIG, then ~/.kube/config,
                         then the pod's service account)
  --namespace NS         with --source kube, read this namespace only (default: all namespaces)
  --publish-address ADDR with --source kube, the IP or host name written to Ingress status (kubectl's ADDRESS)
  --publish-service NS/NAME
                         with --source kube, write this Service's load balancer addresses to Ingress status
  --leader-elect[=false] elect one replica (a Lease) to write status and Events (default: on in a pod)
  --lease-namespace NS   the Lease's namespace when neither POD_NAMESPACE (set by deploy/) nor the
                         kubeconfig context names one (default splitplane); RBAC must allow Leases there
  --xds-port N           port of the ADS gRPC server Envoy connects to (default 18000)
  --xds-host ADDR        address of the ADS server (default 0.0.0.0)
  --xds-tls-cert FILE    TLS for the xDS port: the server certificate (PEM); with --xds-tls-key and
  --xds-tls-key FILE     --xds-client-ca every client must present a certificate that CA signed
  --xds-client-ca FILE   (splitplane certgen --out DIR writes all three, and Envoy's client certificate)
  --insecure-xds         without TLS, serve TLS private keys (SDS) to clients beyond loopback too
  --admin-port N         port of the admin HTTP server (default 19000)
  --admin-host ADDR      address of the admin HTTP server (default 127.0.0.1)
  --http-port N          port Envoy's HTTP listener binds (default 8080)
  --https-port N         port Envoy's HTTPS listener binds, for Ingresses with spec.tls (default 8443)
  --https-redirect-port N
                         port named in HTTP → HTTPS redirects, when a load balancer or Service maps
                         another port to --https-port (default: the --https-port)
  --ingress-class NAME   IngressClass served (default splitplane)
  --gateway-controller-name NAME
                         Gateway API GatewayClasses served: those with this spec.controllerName
                         (default ${DEFAULT_CONTROLLER_NAME})
  --max-file-bytes N     manifest files larger than this are not read (default ${DEFAULT_MAX_FILE_BYTES}, 4 MiB)
  --max-streams-per-peer N
                         ADS streams one address may hold open; more are refused (default ${DEFAULT_MAX_STREAMS_PER_PEER})
  --rebuild-holdoff-ms N rebuild this long after the last input change, so a burst is one rebuild (default 50)
  --rebuild-max-ms N     but never later than this after the first change of a burst (default 500)
  --load-report-interval-ms N
                         how often proxies report each version's traffic (LRS), the rollout checks'
                         heartbeat (default ${DEFAULT_REPORT_INTERVAL_MS}; 500 to 60000)
  --max-load-reports-per-second N
                         load reports taken per second across the fleet: a fleet larger than this
                         times the interval is asked to report less often (default ${DEFAULT_MAX_REPORTS_PER_SECOND})
  --state-dir DIR        file mode: where automated rollouts keep their step across restarts
                         (default: $XDG_STATE_HOME/splitplane, else ~/.local/state/splitplane)
  --log-level LEVEL      debug, info, warn or error (default info)
  --help                 this text`;

export class ConfigError extends Error {}

/** Where rollout state goes in file mode when --state-dir is not given: the XDG state folder. */
export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  if (env.XDG_STATE_HOME) return path.join(env.XDG_STATE_HOME, 'splitplane');
  return path.join(env.HOME ?? os.homedir(), '.local', 'state', 'splitplane');
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Config {
  const config: Config = { ...DEFAULTS };
  const tls: { cert?: string; key?: string; clientCa?: string } = {};
  if (env.SPLITPLANE_LOG_LEVEL) config.logLevel = parseLevel(env.SPLITPLANE_LOG_LEVEL);
  let source: string | undefined;
  let manifestsGiven = false;
  let leaderElect: boolean | undefined;
  eachFlag(
    argv,
    (flag) => new ConfigError(`${flag} needs a value\n${USAGE}`),
    (flag, value, arg) => {
      switch (flag) {
        case '--source':
          source = value();
          break;
        case '--kubeconfig':
          config.kubeconfig = path.resolve(value());
          break;
        case '--namespace':
          config.namespace = value();
          break;
        case '--publish-address':
          config.publishAddress = value();
          break;
        case '--publish-service': {
          const text = value();
          const [namespace, name, extra] = text.split('/');
          if (!namespace || !name || extra !== undefined) throw new ConfigError(`--publish-service ${JSON.stringify(text)} is not NAMESPACE/NAME`);
          config.publishService = { namespace, name };
          break;
        }
        case '--leader-elect':
          leaderElect = arg.includes('=') ? parseBoolean(flag, value()) : true;
          break;
        case '--manifests':
          config.manifests = path.resolve(value());
          manifestsGiven = true;
          break;
        case '--xds-port':
          config.xdsPort = parsePort(flag, value());
          break;
        case '--xds-host':
          config.xdsHost = value();
          break;
        case '--admin-port':
          config.adminPort = parsePort(flag, value());
          break;
        case '--admin-host':
          config.adminHost = value();
          break;
        case '--http-port':
          config.httpPort = parsePort(flag, value(), 1);
          break;
        case '--https-port':
          config.httpsPort = parsePort(flag, value(), 1);
          break;
        case '--https-redirect-port':
          config.httpsRedirectPort = parsePort(flag, value(), 1);
          break;
        case '--ingress-class':
          config.ingressClass = value();
          break;
        case '--gateway-controller-name':
          config.gatewayControllerName = value();
          break;
        case '--log-level':
          config.logLevel = parseLevel(value());
          break;
        case '--lease-namespace':
          config.leaseNamespace = value();
          break;
        case '--max-streams-per-peer':
          config.maxStreamsPerPeer = parseCount(flag, value());
          break;
        case '--max-file-bytes':
          config.maxFileBytes = parseCount(flag, value());
          break;
        case '--rebuild-holdoff-ms':
          config.rebuildHoldoffMs = parseCount(flag, value(), 0);
          break;
        case '--rebuild-max-ms':
          config.rebuildMaxMs = parseCount(flag, value());
          break;
        case '--load-report-interval-ms': {
          const ms = parseCount(flag, value());
          if (ms < 500 || ms > 60_000) throw new ConfigError(`--load-report-interval-ms ${ms} is outside 500 to 60000`);
          config.loadReportIntervalMs = ms;
          break;
        }
        case '--max-load-reports-per-second':
          config.maxLoadReportsPerSecond = parseCount(flag, value());
          break;
        case '--state-dir':
          config.stateDir = path.resolve(value());
          break;
        case '--xds-tls-cert':
          tls.cert = path.resolve(value());
          break;
        case '--xds-tls-key':
          tls.key = path.resolve(value());
          break;
        case '--xds-client-ca':
          tls.clientCa = path.resolve(value());
          break;
        case '--insecure-xds':
          config.insecureXds = true;
          break;
        case '--help':
        case '-h':
          throw new ConfigError(USAGE);
        default:
          throw new ConfigError(`unknown flag ${JSON.stringify(arg)}\n${USAGE}`);
      }
    },
  );
  // Inside a pod (KUBERNETES_SERVICE_HOST is set) or with a kubeconfig the API server is the source;
  // a folder named on the command line always wins the guess.
  if (source !== undefined && source !== 'file' && source !== 'kube') throw new ConfigError(`--source ${JSON.stringify(source)} is not file or kube`);
  config.source =
    (source as Config['source'] | undefined) ?? (!manifestsGiven && (config.kubeconfig !== undefined || env.KUBERNETES_SERVICE_HOST) ? 'kube' : 'file');
  if (config.source === 'file' && (config.kubeconfig !== undefined || config.namespace !== undefined) && source === 'file') {
    throw new ConfigError('--kubeconfig and --namespace are for --source kube; the file source reads --manifests');
  }
  // As kubectl: --kubeconfig, else $KUBECONFIG (a list of files, merged), else ~/.kube/config, else the pod's service account.
  if (config.source === 'kube' && config.kubeconfig === undefined && !env.KUBERNETES_SERVICE_HOST && !env.KUBECONFIG && !homeKubeconfig(env)) {
    throw new ConfigError(
      '--source kube outside a pod needs a kubeconfig: --kubeconfig FILE, $KUBECONFIG or ~/.kube/config, as kubectl reads them (inside a pod the service account is used)',
    );
  }
  config.leaderElect = leaderElect ?? (config.source === 'kube' && env.KUBERNETES_SERVICE_HOST !== undefined);
  if (config.rebuildMaxMs < config.rebuildHoldoffMs)
    throw new ConfigError(`--rebuild-max-ms ${config.rebuildMaxMs} is below --rebuild-holdoff-ms ${config.rebuildHoldoffMs}`);
  if (config.publishAddress !== undefined && config.publishService !== undefined)
    throw new ConfigError('--publish-address and --publish-service both say what to write to Ingress status: give one');
  if (config.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(config.namespace))
    throw new ConfigError(`--namespace ${JSON.stringify(config.namespace)} is not a namespace name`);
  const given = Object.values(tls).length;
  if (given > 0 && given < 3) {
    throw new ConfigError('--xds-tls-cert, --xds-tls-key and --xds-client-ca go together: give all three (splitplane certgen --out DIR writes them)');
  }
  if (tls.cert && tls.key && tls.clientCa) config.xdsTls = { cert: tls.cert, key: tls.key, clientCa: tls.clientCa };
  return config;
}

function parsePort(flag: string, text: string, min = 0): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > 65535) throw new ConfigError(`${flag} ${JSON.stringify(text)} is not a port number (${min}-65535)`);
  return n;
}

function parseBoolean(flag: string, text: string): boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new ConfigError(`${flag}=${JSON.stringify(text)} is not true or false`);
}

function parseCount(flag: string, text: string, min = 1): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || !Number.isSafeInteger(n)) throw new ConfigError(`${flag} ${JSON.stringify(text)} is not a whole number from ${min}`);
  return n;
}

function parseLevel(text: string): Level {
  if (text === 'debug' || text === 'info' || text === 'warn' || text === 'error') return text;
  throw new ConfigError(`log level ${JSON.stringify(text)} is not one of debug, info, warn, error`);
}

/** ~/.kube/config when it exists: where kubectl looks without --kubeconfig or $KUBECONFIG. */
function homeKubeconfig(env: NodeJS.ProcessEnv): string | undefined {
  const home = env.HOME ?? env.USERPROFILE;
  if (!home) return undefined;
  const file = path.join(home, '.kube', 'config');
  return fs.existsSync(file) ? file : undefined;
}
