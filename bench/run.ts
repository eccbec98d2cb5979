// npm run bench: the figures of BENCHMARKS.md. For 1,000 Ingresses of two versions each:
//   1. full build: folder read → published snapshot;
//   2. one Ingress change: file re-read → new snapshot published;
//   3. a weight flip reaching the last of 100 connected ADS streams (clients in another process);
//   4. RSS of the control plane with those 100 streams.

import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller } from '../src/controller.js';
import { silentLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { envoyRoot } from '../src/proto/registry.js';
import { SnapshotCache } from '../src/snapshot/cache.js';
import { FileSource } from '../src/source/file.js';
import { ObjectStore } from '../src/store/store.js';
import { AdsServer } from '../src/xds/server.js';
import { ingressYaml, writeWorld } from './fixture.js';

const INGRESSES = Number(process.env.BENCH_INGRESSES ?? 1000);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const here = path.dirname(fileURLToPath(import.meta.url));
const now = () => performance.timeOrigin + performance.now();
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function line(name: string, values: number[], target: string): void {
  const fmt = (v: number) => v.toFixed(1).padStart(8);
  process.stdout.write(`${name.padEnd(46)} min ${fmt(Math.min(...values))} ms  median ${fmt(median(values))} ms  max ${fmt(Math.max(...values))} ms  (target ${target}, ${values.length} runs)\n`);
}

/** CPU time the hypervisor gave to others while we wanted it (the `steal` column of /proc/stat). */
function cpuTimes(): { steal: number; total: number } | undefined {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { steal: fields[7] ?? 0, total: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return undefined;
  }
}

/** The same small loop timed repeatedly: on a quiet machine min ≈ median; a wide gap means stalls. */
function calibrate(): string {
  const runs: number[] = [];
  for (let r = 0; r < 15; r++) {
    const t0 = performance.now();
    let x = 0;
    for (let i = 0; i < 5e6; i++) x += i % 7;
    runs.push(performance.now() - t0 + (x < 0 ? 1 : 0));
  }
  return `calibration loop (5e6 steps): min ${Math.min(...runs).toFixed(1)} ms, median ${median(runs).toFixed(1)} ms, max ${Math.max(...runs).toFixed(1)} ms`;
}

function world() {
  const store = new ObjectStore();
  const cache = new SnapshotCache();
  const metrics = new Metrics();
  const controller = new Controller(store, cache, { ingressClass: 'splitplane', translate: { http: { address: '0.0.0.0', port: 8080 } } }, silentLogger, metrics);
  return { store, cache, metrics, controller };
}

async function main(): Promise<void> {
  process.stdout.write(`splitplane bench: ${INGRESSES} Ingresses × 2 versions, ${STREAMS} ADS streams; node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${mib(os.totalmem())} MiB\n`);
  process.stdout.write('loading Envoy protos ...\n');
  envoyRoot();
  global.gc?.();
  process.stdout.write(`${'RSS with the Envoy API loaded, no world'.padEnd(46)} ${mib(process.memoryUsage().rss)} MiB\n`);
  process.stdout.write(`${calibrate()}\n`);
  const cpuBefore = cpuTimes();
  const dir = writeWorld(INGRESSES);
  try {
    // 1. Full build, cold store each round (the proto root is loaded once per process, as in production).
    const full: number[] = [];
    const stages: Record<string, number[]> = { 'read + parse the folder': [], model: [], translate: [], encode: [], 'publish (no stream yet)': [] };
    for (let r = 0; r < ROUNDS + 1; r++) {
      const w = world();
      const source = new FileSource(dir, w.store, silentLogger);
      const t0 = performance.now();
      source.scan();
      const scanned = performance.now();
      const published = w.controller.rebuild();
      const ms = performance.now() - t0;
      if (r > 0 && w.controller.lastBuild) {
        stages['read + parse the folder'].push(scanned - t0);
        stages.model.push(w.controller.lastBuild.model);
        stages.translate.push(w.controller.lastBuild.translate);
        stages.encode.push(w.controller.lastBuild.encode);
        stages['publish (no stream yet)'].push(w.controller.lastBuild.publish);
      }
      if (!published) throw new Error('the full build published nothing');
      // The first build of a process also compiles protobufjs's codecs for each message type.
      if (r === 0) process.stdout.write(`${'first build in a fresh process'.padEnd(46)} ${ms.toFixed(1)} ms\n`);
      else full.push(ms);
    }
    line('full build (folder read → snapshot published)', full, '≤ 200 ms');
    for (const [stage, values] of Object.entries(stages)) line(`  ${stage}`, values, '-');

    // 2. One Ingress change on a warm world.
    const w = world();
    const source = new FileSource(dir, w.store, silentLogger);
    source.scan();
    w.controller.rebuild();
    const change: number[] = [];
    const changeScan: number[] = [];
    const changeStages: Record<string, number[]> = { model: [], translate: [], encode: [], publish: [] };
    for (let r = 0; r < ROUNDS * 4; r++) {
      fs.writeFileSync(path.join(dir, 'app-7-ingress.yaml'), ingressYaml(7, 20 + r));
      const t0 = performance.now();
      source.scan();
      changeScan.push(performance.now() - t0);
      const published = w.controller.rebuild();
      change.push(performance.now() - t0);
      if (!published) throw new Error('the change published nothing');
      const stage = w.controller.lastBuild;
      if (stage) for (const key of ['model', 'translate', 'encode', 'publish'] as const) changeStages[key].push(stage[key]);
    }
    line('one Ingress change (re-read → published)', change, '≤ 50 ms');
    line('  stat the folder, re-read the changed file', changeScan, '-');
    for (const [stage, values] of Object.entries(changeStages)) line(`  ${stage}`, values, '-');

    if (STREAMS === 0) return; // BENCH_STREAMS=0: builds only
    // 3 and 4. Streams in a child process; a weight flip until the last stream has the new routes.
    const ads = new AdsServer(w.cache, silentLogger, w.metrics);
    const port = await ads.listen('127.0.0.1', 0);
    const child = fork(path.join(here, 'ads-clients.js'), [String(port), String(STREAMS)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const routeTimes = new Map<string, number[]>();
    let converged = 0;
    child.on('message', (m: { kind: string; id: number; version?: string; at?: number; message?: string }) => {
      if (m.kind === 'converged') converged++;
      if (m.kind === 'route') routeTimes.set(m.version!, [...(routeTimes.get(m.version!) ?? []), m.at!]);
      if (m.kind === 'error') process.stderr.write(`stream ${m.id}: ${m.message}\n`);
    });
    const started = Date.now();
    while (converged < STREAMS) {
      if (Date.now() - started > 120_000) throw new Error(`only ${converged} of ${STREAMS} streams converged in 120 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    process.stdout.write(`${STREAMS} streams converged in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    const flip: number[] = [];
    const flipServer: number[] = [];
    const flipFirst: number[] = [];
    for (let r = 0; r < ROUNDS * 4; r++) {
      // A new percentage every round, so every flip has a route version never seen before.
      fs.writeFileSync(path.join(dir, 'app-9-ingress.yaml'), ingressYaml(9, 50 + r));
      source.scan();
      const t0 = now();
      const snapshot = w.controller.rebuild();
      flipServer.push(now() - t0);
      if (!snapshot) throw new Error('the flip published nothing');
      const version = snapshot.version('type.googleapis.com/envoy.config.route.v3.RouteConfiguration');
      const deadline = Date.now() + 30_000;
      while ((routeTimes.get(version)?.length ?? 0) < STREAMS) {
        if (Date.now() > deadline) throw new Error(`flip ${r}: only ${routeTimes.get(version)?.length ?? 0} streams got the new routes`);
        await new Promise((res) => setTimeout(res, 5));
      }
      flip.push(Math.max(...routeTimes.get(version)!) - t0);
      flipFirst.push(Math.min(...routeTimes.get(version)!) - t0);
      await new Promise((res) => setTimeout(res, 100)); // let the ACKs settle before the next flip
    }
    line(`weight flip → last of ${STREAMS} streams has it`, flip, '≤ 50 ms');
    line(`  first stream has it`, flipFirst, '-');
    line(`  rebuild + ${STREAMS} responses written`, flipServer, '-');
    global.gc?.();
    await new Promise((r) => setTimeout(r, 200));
    const mem = process.memoryUsage();
    process.stdout.write(`${`RSS with ${STREAMS} streams`.padEnd(46)} ${mib(mem.rss)} MiB (target ≤ 150 MiB): heap used ${mib(mem.heapUsed)} of ${mib(mem.heapTotal)} MiB, external ${mib(mem.external)} MiB, array buffers ${mib(mem.arrayBuffers)} MiB\n`);
    const cpuAfter = cpuTimes();
    if (cpuBefore && cpuAfter) {
      const share = (100 * (cpuAfter.steal - cpuBefore.steal)) / Math.max(1, cpuAfter.total - cpuBefore.total);
      process.stdout.write(`CPU stolen by the hypervisor during the run: ${share.toFixed(0)} %\n`);
    }
    child.removeAllListeners('message');
    child.kill('SIGKILL');
    await ads.close();
  } finally {
    const cpuAfter = STREAMS === 0 ? cpuTimes() : undefined;
    if (cpuBefore && cpuAfter) {
      const share = (100 * (cpuAfter.steal - cpuBefore.steal)) / Math.max(1, cpuAfter.total - cpuBefore.total);
      process.stdout.write(`CPU stolen by the hypervisor during the run: ${share.toFixed(0)} %\n`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
