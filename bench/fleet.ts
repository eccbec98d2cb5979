// The fleet scenario of npm run bench: N streams (an Envoy-like client in a child process) over one
// protocol, cold connect, then weight flips until every stream holds the new routes, then idle.

import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Controller } from '../src/controller.js';
import { silentLogger } from '../src/log.js';
import type { Metrics } from '../src/metrics.js';
import { ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../src/proto/type-urls.js';
import type { SnapshotCache } from '../src/snapshot/cache.js';
import type { FileSource } from '../src/source/file.js';
import { AdsServer } from '../src/xds/server.js';
import { ingressYaml } from './fixture.js';
import { clientStatus } from '../src/xds/client-status.js';
import { rollout } from '../src/fleet/rollout.js';
import { dashboardData } from '../src/admin/dashboard-data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const now = () => performance.timeOrigin + performance.now();
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FleetWorld {
  dir: string;
  /** Without `live`: scanned and rebuilt by the bench itself. */
  source?: FileSource;
  controller: Controller;
  cache: SnapshotCache;
  metrics: Metrics;
  /** With timed metrics (bench/timed-metrics.ts): milliseconds spent inside metric calls so far. */
  metricsSpentMs?: () => number;
  /**
   * Live: the source watches the folder and the controller rebuilds on its own (leading edge), as in
   * production; a flip is timed from the file write. When the source last announced a change.
   */
  live?: { seenAt: () => number };
  /** The xDS server of a running App; without it the fleet gets an AdsServer of its own. */
  ads?: { server: AdsServer; port: number };
}

export interface FleetFigures {
  protocol: 'sotw' | 'delta';
  coldMs: number;
  coldCpuMs: number;
  last: number[];
  first: number[];
  p99: number[];
  rebuild: number[];
  /** Live only: from the file write, and from the source announcing the change, to the first and last stream. */
  writtenToFirst: number[];
  writtenToLast: number[];
  seenToFirst: number[];
  cpuPerFlip: number[];
  bytesPerStream: number[];
  idleCpuMsPerS: number;
  /** Building the /debug/clients, /debug/rollout and /debug/dashboard answers for every stream, JSON included. */
  clientsMs: number[];
  rolloutMs: number[];
  dashboardMs: number[];
  /** With timed metrics: the time spent inside metric calls per flip, in the same window as cpuPerFlip. */
  metricsMsPerFlip: number[];
  rssMiB: number;
  heapMiB: number;
}

interface Message {
  kind: string;
  id: number;
  type?: string;
  version?: string;
  bytes?: number;
  at?: number;
  message?: string;
}

export async function runFleet(
  world: FleetWorld,
  protocol: 'sotw' | 'delta',
  streams: number,
  flips: number,
  progress: (line: string) => void,
): Promise<FleetFigures> {
  // The whole fleet connects from this one process, over loopback and a few HTTP/2 connections.
  const ads = world.ads?.server ?? new AdsServer(world.cache, silentLogger, world.metrics, { maxStreamsPerPeer: 100_000, maxStreamsPerConnection: 100_000 });
  const port = world.ads?.port ?? (await ads.listen('127.0.0.1', 0));
  const routeType = protocol === 'delta' ? VIRTUAL_HOST_TYPE : ROUTE_TYPE;
  let converged = 0;
  let errors = 0;
  const arrivals = new Map<string, number[]>();
  let bytes = 0;
  const child = fork(path.join(here, 'ads-clients.js'), [String(port), String(streams), protocol], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const handle = (m: Message) => {
    if (m.kind === 'converged') converged++;
    else if (m.kind === 'response') {
      bytes += m.bytes ?? 0;
      if (m.type === routeType) {
        const list = arrivals.get(m.version!);
        if (list) list.push(m.at!);
        else arrivals.set(m.version!, [m.at!]);
      }
    } else if (m.kind === 'error' && errors++ < 5) progress(`stream ${m.id}: ${m.message}`);
  };
  // The child sends what happened in batches, one message per turn of its event loop: a thousand IPC
  // messages per flip would be work of the measured process, not of the server.
  child.on('message', (batch: Message[]) => {
    for (const m of batch) handle(m);
  });
  try {
    // BENCH_PROFILE_COLD=FILE: a CPU profile of the cold connect alone.
    const coldProfiler = process.env.BENCH_PROFILE_COLD ? await startProfile() : undefined;
    const cold0 = now();
    const coldCpu0 = cpuMs();
    let shown = 0;
    while (converged < streams) {
      if (now() - cold0 > 180_000) throw new Error(`only ${converged} of ${streams} ${protocol} streams converged in 180 s`);
      if (now() - cold0 > (shown + 1) * 5000) progress(`  ${converged} of ${streams} ${protocol} streams converged after ${++shown * 5} s ...`);
      await sleep(20);
    }
    const coldMs = now() - cold0;
    const coldCpuMs = cpuMs() - coldCpu0;
    if (coldProfiler) fs.writeFileSync(`${process.env.BENCH_PROFILE_COLD}.${protocol}.cpuprofile`, JSON.stringify(await coldProfiler()));
    await waitAcked(ads, streams);

    // BENCH_PROFILE=FILE: a CPU profile of the flips alone, for where the time goes.
    const profiler = process.env.BENCH_PROFILE ? await startProfile() : undefined;
    const figures: FleetFigures = {
      protocol,
      coldMs,
      coldCpuMs,
      last: [],
      first: [],
      p99: [],
      rebuild: [],
      writtenToFirst: [],
      writtenToLast: [],
      seenToFirst: [],
      cpuPerFlip: [],
      bytesPerStream: [],
      idleCpuMsPerS: 0,
      clientsMs: [],
      rolloutMs: [],
      dashboardMs: [],
      metricsMsPerFlip: [],
      rssMiB: 0,
      heapMiB: 0,
    };
    for (let r = 0; r < flips; r++) {
      // A percentage never used before, so every flip is a version no stream has seen.
      const manifest = ingressYaml(9, 11 + ((r * 7) % 89) + (protocol === 'delta' ? 0.5 : 0) + (world.live ? 0.25 : 0));
      bytes = 0;
      const metrics0 = world.metricsSpentMs?.();
      const cpu0 = cpuMs();
      let t0: number;
      let snapshot;
      if (world.live) {
        // As in production: the file is written, the watch reads it, the controller builds at once.
        const before = world.cache.current();
        const seen0 = world.live.seenAt();
        t0 = now();
        fs.writeFileSync(path.join(world.dir, 'app-9-ingress.yaml'), manifest);
        const deadline = t0 + 30_000;
        while (world.cache.current() === before || world.live.seenAt() === seen0) {
          if (now() > deadline) throw new Error(`flip ${r}: the written manifest was not published within 30 s`);
          await sleep(1);
        }
        snapshot = world.cache.current();
        if (world.controller.lastBuild) {
          const b = world.controller.lastBuild;
          figures.rebuild.push(b.model + b.translate + b.encode + b.publish);
        }
      } else {
        fs.writeFileSync(path.join(world.dir, 'app-9-ingress.yaml'), manifest);
        world.source!.scan();
        t0 = now();
        snapshot = world.controller.rebuild();
        figures.rebuild.push(now() - t0);
      }
      if (!snapshot) throw new Error('the flip published nothing');
      const version = snapshot.version(routeType, protocol === 'delta' ? 'per-host' : 'whole');
      const deadline = now() + 60_000;
      while ((arrivals.get(version)?.length ?? 0) < streams) {
        if (now() > deadline) throw new Error(`flip ${r}: only ${arrivals.get(version)?.length ?? 0} of ${streams} streams got the new routes`);
        await sleep(2);
      }
      const times = arrivals
        .get(version)!
        .map((at) => at - t0)
        .sort((a, b) => a - b);
      figures.first.push(times[0]!);
      figures.last.push(times[times.length - 1]!);
      if (world.live) {
        figures.writtenToFirst.push(times[0]!);
        figures.writtenToLast.push(times[times.length - 1]!);
        figures.seenToFirst.push(Math.min(...arrivals.get(version)!) - world.live.seenAt());
      }
      figures.p99.push(times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]!);
      await waitAcked(ads, streams);
      figures.cpuPerFlip.push(cpuMs() - cpu0);
      if (metrics0 !== undefined) figures.metricsMsPerFlip.push(world.metricsSpentMs!() - metrics0);
      figures.bytesPerStream.push(bytes / streams);
      arrivals.clear();
    }
    if (profiler) fs.writeFileSync(`${process.env.BENCH_PROFILE}.${protocol}.cpuprofile`, JSON.stringify(await profiler()));
    // The admin pages over the whole fleet, as /debug/clients and /debug/rollout build them.
    for (let r = 0; r < 10; r++) {
      const t0 = now();
      JSON.stringify(ads.list().map((s) => clientStatus(s.stream, s.openedAt, world.cache.current())));
      figures.clientsMs.push(now() - t0);
      const t1 = now();
      JSON.stringify(
        rollout(
          world.controller.currentModel(),
          world.cache.current(),
          ads.list().map((s) => s.stream),
        ),
      );
      figures.rolloutMs.push(now() - t1);
      // The dashboard's data call: rollout, fleet and diagnostics in one answer, as the page polls it.
      const t2 = now();
      JSON.stringify(
        dashboardData({
          rollout: rollout(
            world.controller.currentModel(),
            world.cache.current(),
            ads.list().map((s) => s.stream),
          ),
          clients: ads.list().map((s) => clientStatus(s.stream, s.openedAt, world.cache.current())),
          diagnostics: world.controller.diagnostics(),
          notReady: undefined,
        }),
      );
      figures.dashboardMs.push(now() - t2);
    }
    // Idle: nothing changes; what does the process spend with every stream open? V8 goes on collecting
    // the flips' garbage for some seconds after them (its memory reducer): at rest is after that.
    await sleep(Number(process.env.BENCH_IDLE_SETTLE_MS ?? 15_000));
    const idle0 = cpuMs();
    const idleT0 = now();
    await sleep(Number(process.env.BENCH_IDLE_MS ?? 15_000));
    figures.idleCpuMsPerS = ((cpuMs() - idle0) / (now() - idleT0)) * 1000;
    global.gc?.();
    await sleep(100);
    figures.rssMiB = process.memoryUsage().rss / 1024 / 1024;
    figures.heapMiB = process.memoryUsage().heapUsed / 1024 / 1024;
    return figures;
  } finally {
    child.removeAllListeners('message');
    child.kill('SIGKILL');
    if (world.ads) {
      const deadline = now() + 30_000;
      while (ads.list().length > 0 && now() < deadline) await sleep(20);
    } else await ads.close();
  }
}

/** Until every stream has ACKed what it was last sent, of every type. */
async function waitAcked(ads: AdsServer, streams: number): Promise<void> {
  const deadline = now() + 60_000;
  for (;;) {
    const list = ads.list();
    const settled =
      list.length === streams &&
      list.every((s) => Object.values(s.stream.types).every((t) => !t.requested || (!t.awaitingReply && t.ackedVersion === t.sent?.version)));
    if (settled) return;
    if (now() > deadline) throw new Error('streams did not ACK within 60 s');
    await sleep(5);
  }
}

async function startProfile(): Promise<() => Promise<unknown>> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => (await session.post('Profiler.stop')).profile;
}
