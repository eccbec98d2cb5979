// npm run bench:idle: what a folder of 2,000 manifests costs when nothing changes (CPU per second of
// the file source at rest), and how soon a change is seen, with file events and without them.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../src/log.js';
import { FileSource } from '../src/source/file.js';
import { ObjectStore } from '../src/store/store.js';

const FILES = Number(process.env.BENCH_FILES ?? 2000);
const SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 20);

async function measure(label: string, options: ConstructorParameters<typeof FileSource>[3]): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-bench-idle-'));
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(dir, `svc-${i}.yaml`), `apiVersion: v1\nkind: Service\nmetadata: {name: svc-${i}}\nspec: {ports: [{port: 80}]}\n`);
  const store = new ObjectStore();
  const source = new FileSource(dir, store, silentLogger, options);
  source.start();
  await new Promise((r) => setTimeout(r, 1500)); // the probe and the first scans settle
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cpu = process.cpuUsage(cpu0);
  const perSecond = (cpu.user + cpu.system) / 1000 / ((performance.now() - t0) / 1000);
  const seen: number[] = [];
  for (let round = 0; round < 5; round++) {
    const name = `changed-${round}`;
    const started = performance.now();
    fs.writeFileSync(path.join(dir, `svc-${round}.yaml`), `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec: {ports: [{port: 80}]}\n`);
    while (!store.get('Service', 'default', name)) await new Promise((r) => setTimeout(r, 2));
    seen.push(performance.now() - started);
  }
  source.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${label.padEnd(28)} idle CPU ${perSecond.toFixed(1).padStart(5)} ms/s (target ≤ 5)   change seen after min ${Math.min(...seen).toFixed(0)} ms, max ${Math.max(...seen).toFixed(0)} ms (target ≤ 300)\n`);
}

process.stdout.write(`${FILES} files, ${SECONDS} s at rest\n`);
await measure('file events (probed)', {});
await measure('no file events (polling)', { watch: false });
