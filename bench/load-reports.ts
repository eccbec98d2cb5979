// npm run bench:reports: what 1,000 proxies reporting each version's traffic (LRS) every 2 s cost the
// control plane: CPU in percent of one core at rest with the streams open, then with the reports
// flowing, over BENCH_REPORT_SECONDS (min and median of 5 s slices). Run with a small configuration (10
// clusters per report) and a large one (BENCH_REPORT_INGRESSES=1000: 2,000 clusters, every one in
// every report, as Envoy sends them), each without a budget and with the fleet-wide report budget
// (BENCH_REPORT_BUDGETS). Target: ≤ 5 % of one core.

import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller } from '../src/controller.js';
import { silentLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { envoyRoot } from '../src/proto/registry.js';
import { CLUSTER_TYPE } from '../src/proto/type-urls.js';
import { SnapshotCache } from '../src/snapshot/cache.js';
import { FileSource } from '../src/source/file.js';
import { ObjectStore } from '../src/store/store.js';
import { Traffic } from '../src/traffic/traffic.js';
import { DEFAULT_MAX_REPORTS_PER_SECOND } from '../src/traffic/load-reporting.js';
import { AdsServer } from '../src/xds/server.js';
import { peerAddress } from '../src/xds/credentials.js';
import { writeWorld } from './fixture.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PROXIES = Number(process.env.BENCH_PROXIES ?? 1000);
const SECONDS = Number(process.env.BENCH_REPORT_SECONDS ?? 30);
const INTERVAL_MS = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;

async function measure(ingresses: number, maxReportsPerSecond: number): Promise<void> {
  envoyRoot();
  const dir = writeWorld(ingresses);
  const store = new ObjectStore();
  const cache = new SnapshotCache();
  const metrics = new Metrics();
  const source = new FileSource(dir, store, silentLogger, {});
  await source.start(() => undefined);
  const controller = new Controller(
    store,
    cache,
    { ingressClass: 'splitplane', translate: { http: { address: '0.0.0.0', port: 8080 } } },
    silentLogger,
    metrics,
  );
  controller.rebuild();
  const ads = new AdsServer(cache, silentLogger, metrics, { maxStreamsPerPeer: 100_000, maxStreamsPerConnection: 100_000 });
  const traffic = new Traffic(
    {
      intervalMs: INTERVAL_MS,
      maxReportsPerSecond,
      maxStreamsPerPeer: 100_000,
      clients: () => ads.list().map((s) => ({ stream: s.stream, address: peerAddress(s.peer) })),
      connected: (node, address) => ads.hasNode(node, address),
      snapshot: () => cache.current(),
    },
    silentLogger,
    metrics,
  );
  ads.addService(traffic.definition, traffic.reporting.handlers());
  const port = await ads.listen('127.0.0.1', 0);
  const clusters = [...cache.current()!.type(CLUSTER_TYPE).resources.keys()];
  const child = fork(path.join(here, 'lrs-clients.js'), [String(port), String(PROXIES), clusters.join(',')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let bytesPerReport = 0;
  let errors = 0;
  const ready = new Promise<void>((resolve) =>
    child.on('message', (m: { kind: string; bytesPerReport?: number; message?: string }) => {
      if (m.kind === 'ready') {
        bytesPerReport = m.bytesPerReport ?? 0;
        resolve();
      } else if (m.kind === 'error' && errors++ < 3) process.stdout.write(`  stream error: ${m.message}\n`);
    }),
  );
  await ready;
  // The tick the app runs every interval: prune, and what the rollout checks ask for.
  const ticker = setInterval(() => traffic.prune(), INTERVAL_MS);
  // The streams are told the budgeted interval within five seconds, and report at it from then on.
  await sleep(Math.max(2 * INTERVAL_MS, 6000 + traffic.reporting.interval()));
  const told = traffic.reporting.interval();
  const slices: number[] = [];
  const taken0 = traffic.reportsTaken();
  for (let t = 0; t < SECONDS; t += 5) {
    const c0 = cpuMs();
    const w0 = performance.now();
    await sleep(5000);
    slices.push(((cpuMs() - c0) / (performance.now() - w0)) * 100);
  }
  const entries = traffic.reportsTaken() - taken0;
  clearInterval(ticker);
  child.send({ kind: 'stop' });
  await ads.close();
  source.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  const kb = (bytesPerReport / 1024).toFixed(1);
  const budget = Number.isFinite(maxReportsPerSecond) ? `budget ${maxReportsPerSecond} reports/s` : 'no budget';
  process.stdout.write(
    `${PROXIES} proxies, ${clusters.length} clusters, ${budget}: a report every ${told / 1000} s per proxy (${kb} KB each, ${((PROXIES * bytesPerReport) / told / 1024).toFixed(0)} KB/ms in): ` +
      `server CPU min ${Math.min(...slices).toFixed(1)} %, median ${median(slices).toFixed(1)} % of one core (target ≤ 5 %); ${entries} cluster entries recorded\n`,
  );
}

const sizes = (process.env.BENCH_REPORT_INGRESSES ?? '5,1000').split(',').map(Number);
// Every proxy every 2 s ("none"), then with fleet-wide budgets (reports a second): the default, and others
// given as BENCH_REPORT_BUDGETS=none,100,25.
const budgets = (process.env.BENCH_REPORT_BUDGETS ?? `none,${DEFAULT_MAX_REPORTS_PER_SECOND}`).split(',').map((b) => (b === 'none' ? Infinity : Number(b)));
for (const n of sizes) for (const budget of budgets) await measure(n, budget);
process.exit(0);
