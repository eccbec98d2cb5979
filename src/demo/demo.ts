// `npm run demo`: the Alibaba Cloud blue-green article, for real, on this machine. splitplane (the real CLI) serves a copy
// of the example, two small backends answer `old` and `new`, and a real Envoy splits the traffic.
// Then the blue-green example's steps: weight 50 → 100 → annotation and old backend removed, each shown as six
// `curl` lines like the article's and as counts over 1,000 requests. Every process started is
// stopped at the end, on Ctrl-C, and on failure.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEnvoy, type EnvoyProcess } from '../local/envoy.js';
import { freePort, get, startBackend, tally, type Backend } from '../local/http.js';
import { localExample, blueGreenIngress, writeIngress, type ReleaseStep } from '../local/example.js';
import { waitFor } from '../local/wait.js';
import { compareStrings } from '../order.js';

const HOST = 'mini-echo.io';
const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'main.js');

interface Running {
  backends: Backend[];
  splitplane?: ChildProcess;
  envoy?: EnvoyProcess;
  dir?: string;
}

const running: Running = { backends: [] };

async function cleanup(): Promise<void> {
  await running.envoy?.stop().catch(() => undefined);
  running.splitplane?.kill('SIGTERM');
  for (const b of running.backends) await b.close().catch(() => undefined);
  if (running.dir) fs.rmSync(running.dir, { recursive: true, force: true });
}

function say(text = ''): void {
  process.stdout.write(text + '\n');
}

/** One admin page as JSON; the caller says which shape it reads. */
async function admin<T>(port: number, page: string): Promise<T> {
  return (await fetch(`http://127.0.0.1:${port}${page}`)).json() as Promise<T>;
}

type SnapshotPage = Record<string, { version: string }>;

/** True when the connected Envoy has ACKed every type at the published version. */
async function rolledOut(adminPort: number, before: string): Promise<string | false> {
  const snapshot = await admin<SnapshotPage>(adminPort, '/debug/snapshot');
  const versions = ['CDS', 'EDS', 'LDS', 'RDS'].map((t) => snapshot[t]!.version).join('/');
  if (versions === before) return false;
  const streams = await admin<Array<{ types: Record<string, { ackedVersion: string | null }> }>>(adminPort, '/debug/streams');
  if (streams.length === 0) return false;
  const acked = streams.every((s) => Object.entries(s.types).every(([t, st]) => st.ackedVersion === snapshot[t]!.version));
  return acked ? versions : false;
}

async function versionsOf(adminPort: number): Promise<string> {
  const snapshot = await admin<SnapshotPage>(adminPort, '/debug/snapshot');
  return ['CDS', 'EDS', 'LDS', 'RDS'].map((t) => snapshot[t]!.version).join('/');
}

async function show(httpPort: number): Promise<void> {
  for (let i = 0; i < 6; i++) {
    say(`  ~ curl -H "Host: ${HOST}" http://127.0.0.1:${httpPort}`);
    const reply = await get(httpPort, HOST);
    say(reply.body);
  }
  const counts = await tally(httpPort, HOST, 1000);
  const line = [...counts]
    .sort(([a], [b]) => compareStrings(b, a))
    .map(([body, n]) => `${body}=${n}`)
    .join('  ');
  say(`  over 1,000 requests: ${line}`);
}

async function main(): Promise<void> {
  say('splitplane demo: the blue-green release on mini-echo.io, through a real Envoy');
  say('starting backends old, new and default, splitplane and Envoy ...');
  const [oldB, newB, defB] = [await startBackend('old'), await startBackend('new'), await startBackend('default backend', 404)];
  running.backends.push(oldB, newB, defB);
  running.dir = localExample({ 'old-nginx': oldB.port, 'new-nginx': newB.port, 'default-http-backend': defB.port });
  writeIngress(running.dir, blueGreenIngress({ kind: 'before' }));
  const [xdsPort, adminPort, httpPort, envoyAdmin] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const logFile = path.join(path.dirname(running.dir), `splitplane-demo-${process.pid}.log`);
  const log = fs.openSync(logFile, 'w');
  running.splitplane = spawn(
    process.execPath,
    [
      MAIN,
      '--manifests',
      running.dir,
      '--xds-host',
      '127.0.0.1',
      '--xds-port',
      String(xdsPort),
      '--admin-port',
      String(adminPort),
      '--http-port',
      String(httpPort),
    ],
    { stdio: ['ignore', log, log] },
  );
  await waitFor('splitplane to be ready', async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).ok, 30_000);
  running.envoy = await startEnvoy({ xdsPort, adminPort: envoyAdmin, nodeId: 'demo-envoy' });
  await waitFor('Envoy to route mini-echo.io', async () => (await get(httpPort, HOST)).body === 'old', 30_000);
  say(`splitplane dashboard: http://127.0.0.1:${adminPort}/ (open it in a browser to watch the release)`);
  say(`Envoy: http://127.0.0.1:${httpPort} (admin ${envoyAdmin})`);
  say(`splitplane log: ${logFile}`);

  const steps: Array<[string, ReleaseStep]> = [
    ['Before the release: the Ingress serves old-nginx', { kind: 'before' }],
    ['Step 1: new-nginx added under the same path, ingress.aliyun.weight/new-nginx: "50"', { kind: 'weight', percent: '50' }],
    ['Step 2: ingress.aliyun.weight/new-nginx: "100"', { kind: 'weight', percent: '100' }],
    ['Step 3: the annotation and the old-nginx backend removed: the release is complete', { kind: 'finished' }],
  ];
  for (const [title, step] of steps) {
    say();
    say(`== ${title}`);
    if (step.kind !== 'before') {
      const before = await versionsOf(adminPort);
      const started = Date.now();
      writeIngress(running.dir, blueGreenIngress(step));
      await waitFor('Envoy to acknowledge the new configuration', () => rolledOut(adminPort, before), 30_000);
      say(`  (applied and acknowledged by Envoy in ${Date.now() - started} ms)`);
    }
    await show(httpPort);
  }
  const stats = await running.envoy.stats();
  const rejected = [...stats].filter(([k, v]) => k.endsWith('update_rejected') && v > 0);
  say();
  say(
    rejected.length === 0 ? 'Envoy accepted every configuration (no update_rejected).' : `Envoy rejected: ${rejected.map(([k, v]) => `${k}=${v}`).join(', ')}`,
  );
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    say('\ninterrupted: stopping everything the demo started ...');
    void cleanup().then(() => process.exit(130));
  });
}

main()
  .then(cleanup)
  .catch(async (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    await cleanup();
    process.exit(1);
  });
