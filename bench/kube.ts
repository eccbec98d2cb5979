// npm run bench:kube: splitplane in Kubernetes mode against the fake API server (in a child process).
//   1. initial sync: 5,000 Services with their EndpointSlices and 1,000 Ingresses listed and watched,
//      to the first published snapshot (target ≤ 5 s), and the RSS then (target ≤ 300 MiB);
//   2. an Ingress edited on the API server → a connected ADS stream holding the new routes (≤ 100 ms);
//   3. the CPU at rest, the watches open and nothing changing (≤ 1 ms/s).

import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApp } from '../src/app.js';
import { DEFAULTS } from '../src/config.js';
import { freePort } from '../src/local/http.js';
import { waitFor } from '../src/local/wait.js';
import { silentLogger } from '../src/log.js';
import { envoyRoot } from '../src/proto/registry.js';
import { ROUTE_TYPE } from '../src/proto/type-urls.js';
import { AdsClient } from '../test/support/ads-client.js';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 5000);
const INGRESSES = Number(process.env.BENCH_INGRESSES ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const here = path.dirname(fileURLToPath(import.meta.url));
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

envoyRoot();
const child = fork(path.join(here, 'fake-apiserver-process.js'), [String(SERVICES), String(INGRESSES)], { stdio: 'inherit' });
const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-bench-kube-'));
fs.writeFileSync(
  path.join(dir, 'kubeconfig'),
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'fake',
    clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'u' } }],
  }),
);
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
const app = await startApp(
  { ...DEFAULTS, source: 'kube', kubeconfig: path.join(dir, 'kubeconfig'), xdsHost: '127.0.0.1', xdsPort: await freePort(), adminPort: await freePort() },
  silentLogger,
);
await waitFor('the first snapshot', () => app.cache.current(), 600_000, 5);
const synced = performance.now() - started;
global.gc?.();
const rss = process.memoryUsage().rss;
process.stdout.write(`world: ${SERVICES} Services with an EndpointSlice each (3 endpoints), ${INGRESSES} Ingresses of 2 versions\n`);
process.stdout.write(`initial sync → first snapshot published      ${synced.toFixed(0)} ms (target ≤ 5000 ms)\n`);
process.stdout.write(
  `RSS after the sync                           ${mib(rss)} MiB (target ≤ 300 MiB; ${mib(rssBefore)} MiB before, with the Envoy API loaded)\n`,
);

const client = new AdsClient(app.xdsPort, 'bench');
await client.converge();
const times: number[] = [];
const published: number[] = [];
const stages: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  const weight = String(30 + (round % 2) * 40);
  const before = app.cache.current();
  const t0 = performance.now();
  void waitFor('publish', () => app.cache.current() !== before, 30_000, 1).then(() => {
    published.push(performance.now() - t0);
    for (const [k, v] of Object.entries(app.controller.lastBuild ?? {})) (stages[k] ??= []).push(v);
  });
  child.send({ edit: weight });
  for (;;) {
    const r = await client.next(ROUTE_TYPE, 30_000);
    client.ack(r, ['ingress_http']);
    const vhost = r.resources[0]!.virtual_hosts.find((v: { name: string }) => v.name === 'app-0.example.com');
    const w = vhost.routes[0].route.weighted_clusters?.clusters?.[1]?.weight;
    if (w === Number(weight) * 100) break;
  }
  times.push(performance.now() - t0);
}
process.stdout.write(
  `  edit → snapshot published (lone change: no holdoff) min ${Math.min(...published).toFixed(1)} ms  median ${median(published)!.toFixed(1)} ms\n`,
);
for (const [k, v] of Object.entries(stages))
  process.stdout.write(`    ${k.padEnd(10)} min ${Math.min(...v).toFixed(1)} ms  median ${median(v)!.toFixed(1)} ms\n`);
process.stdout.write(
  `Ingress edit on the API server → ADS stream   min ${Math.min(...times).toFixed(1)} ms  median ${median(times)!.toFixed(1)} ms  max ${Math.max(...times).toFixed(1)} ms  (target ≤ 100 ms, ${ROUNDS} runs)\n`,
);
// At rest: the watches open (a bookmark from the API server every BENCH_BOOKMARK_MS), one stream connected, nothing
// changing, for BENCH_REST_MS (15 s). V8 collects the edits' garbage for a while first.
await new Promise((r) => setTimeout(r, Number(process.env.BENCH_REST_SETTLE_MS ?? 15_000)));
// BENCH_PROFILE_REST=FILE: a CPU profile of the rest.
const session = process.env.BENCH_PROFILE_REST ? new (await import('node:inspector/promises')).Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
const cpu0 = process.cpuUsage();
const rest0 = performance.now();
await new Promise((r) => setTimeout(r, Number(process.env.BENCH_REST_MS ?? 15_000)));
const cpu = process.cpuUsage(cpu0);
if (session) fs.writeFileSync(process.env.BENCH_PROFILE_REST!, JSON.stringify((await session.post('Profiler.stop')).profile));
process.stdout.write(
  `at rest, watches open, nothing changing       ${(((cpu.user + cpu.system) / 1000 / (performance.now() - rest0)) * 1000).toFixed(2)} ms/s (target ≤ 1 ms/s)\n`,
);
client.close();
await app.stop();
child.kill();
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
