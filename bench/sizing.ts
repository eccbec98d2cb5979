// npm run bench:sizing: what one replica needs per proxy, for the sizing table of docs/scaling.md.
// splitplane runs as `npm start` runs it on 1,000 Ingresses; proxies (a child process, one HTTP/2
// connection each, Delta or SotW) connect in steps of BENCH_SIZING_STEP up to BENCH_SIZING_MAX. At each
// step: RSS and JS heap after a collection, the server CPU of the step's cold connect, the server CPU
// of one weight flip until every proxy has ACKed it, and the CPU at rest.

import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApp } from '../src/app.js';
import { DEFAULTS } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { PUSH_ORDER } from '../src/proto/type-urls.js';
import { ingressYaml, writeWorld } from './fixture.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const STEP = Number(process.env.BENCH_SIZING_STEP ?? 1000);
const MAX = Number(process.env.BENCH_SIZING_MAX ?? 3000);
const PROTOCOL = process.env.BENCH_SIZING_PROTOCOL === 'sotw' ? 'sotw' : 'delta';
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number) => bytes / 1024 / 1024;

async function until(what: string, done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(10);
  }
}

async function main(): Promise<void> {
  const dir = writeWorld(1000);
  const app = await startApp(
    {
      ...DEFAULTS,
      manifests: dir,
      xdsHost: '127.0.0.1',
      xdsPort: 0,
      adminPort: 0,
      httpPort: 8080,
      maxStreamsPerPeer: 1_000_000,
      stateDir: fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-bench-state-')),
    },
    silentLogger,
  );
  const children: ChildProcess[] = [];
  try {
    await until('the first build', () => app.cache.current() !== undefined, 60_000);
    const settled = (n: number) => {
      const snapshot = app.cache.current()!;
      const list = app.ads.list();
      return (
        list.length === n &&
        list.every((s) =>
          PUSH_ORDER.every((t) => {
            const state = s.stream.types[t];
            return (
              !state.requested ||
              (!state.awaitingReply && state.ackedVersion === state.sent?.version && state.sent?.version.startsWith(snapshot.version(t, s.stream.routing)))
            );
          }),
        )
      );
    };
    const rest = async () => {
      await sleep(10_000); // V8 collects the step's garbage for a while after it
      const c0 = cpuMs();
      const t0 = performance.now();
      await sleep(10_000);
      return ((cpuMs() - c0) / (performance.now() - t0)) * 1000;
    };
    const rss = () => {
      global.gc?.();
      return { rss: mib(process.memoryUsage().rss), heap: mib(process.memoryUsage().heapUsed) };
    };
    process.stdout.write(
      `splitplane sizing: 1000 Ingresses, ${PROTOCOL} proxies in steps of ${STEP} up to ${MAX}; node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model}\n`,
    );
    process.stdout.write(
      `${'proxies'.padStart(8)} ${'RSS MiB'.padStart(8)} ${'heap MiB'.padStart(9)} ${'cold CPU s'.padStart(11)} ${'flip CPU ms'.padStart(12)} ${'rest ms/s'.padStart(10)}\n`,
    );
    const none = rss();
    process.stdout.write(
      `${'0'.padStart(8)} ${none.rss.toFixed(0).padStart(8)} ${none.heap.toFixed(0).padStart(9)} ${'-'.padStart(11)} ${'-'.padStart(12)} ${(await rest()).toFixed(2).padStart(10)}\n`,
    );
    let flip = 0;
    for (let n = STEP; n <= MAX; n += STEP) {
      const c0 = cpuMs();
      const child = fork(path.join(here, 'ads-clients.js'), [String(app.xdsPort), String(STEP), PROTOCOL], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.on('message', () => undefined);
      children.push(child);
      await until(`${n} proxies converged`, () => settled(n), 300_000);
      const cold = (cpuMs() - c0) / 1000;
      const before = app.cache.current();
      const f0 = cpuMs();
      fs.writeFileSync(path.join(dir, 'app-9-ingress.yaml'), ingressYaml(9, 11 + ++flip));
      await until('the flip published', () => app.cache.current() !== before, 30_000);
      await until('the flip ACKed by every proxy', () => settled(n), 120_000);
      const flipMs = cpuMs() - f0;
      const idle = await rest();
      const m = rss();
      process.stdout.write(
        `${String(n).padStart(8)} ${m.rss.toFixed(0).padStart(8)} ${m.heap.toFixed(0).padStart(9)} ${cold.toFixed(2).padStart(11)} ${flipMs.toFixed(0).padStart(12)} ${idle.toFixed(2).padStart(10)}\n`,
      );
    }
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await app.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:sizing failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
