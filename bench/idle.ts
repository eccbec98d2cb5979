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
  for (let i = 0; i < FILES; i++)
    fs.writeFileSync(path.join(dir, `svc-${i}.yaml`), `apiVersion: v1\nkind: Service\nmetadata: {name: svc-${i}}\nspec: {ports: [{port: 80}]}\n`);
  const store = new ObjectStore();
  const source = new FileSource(dir, store, silentLogger, options);
  source.start();
  // The probe, the first scans and the collection of what the first read left behind settle first.
  await new Promise((r) => setTimeout(r, 5000));
  global.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cpu = process.cpuUsage(cpu0);
  const perSecond = (cpu.user + cpu.system) / 1000 / ((performance.now() - t0) / 1000);
  // Two ways to change a file: written in place (its folder does not change), and replaced by a rename
  // (how editors, git and ConfigMap volumes write). Each round edits a file not touched before.
  const seen = async (how: 'in place' | 'by rename', first: number): Promise<number[]> => {
    const out: number[] = [];
    for (let round = first; round < first + 5; round++) {
      const name = `changed-${round}`;
      const text = `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec: {ports: [{port: 80}]}\n`;
      const file = path.join(dir, `svc-${round * 97}.yaml`);
      const started = performance.now();
      if (how === 'in place') fs.writeFileSync(file, text);
      else {
        fs.writeFileSync(`${file}.tmp`, text);
        fs.renameSync(`${file}.tmp`, file);
      }
      while (!store.get('Service', 'default', name)) await new Promise((r) => setTimeout(r, 2));
      out.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 50));
    }
    return out;
  };
  const inPlace = await seen('in place', 0);
  const renamed = await seen('by rename', 10);
  source.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  const range = (v: number[]) =>
    `min ${Math.min(...v)
      .toFixed(0)
      .padStart(4)} ms, max ${Math.max(...v)
      .toFixed(0)
      .padStart(4)} ms`;
  process.stdout.write(
    `${label.padEnd(28)} idle CPU ${perSecond.toFixed(1).padStart(5)} ms/s (target ≤ 5)   change seen (target ≤ 300 ms): written in place ${range(inPlace)}; replaced by rename ${range(renamed)}\n`,
  );
}

process.stdout.write(`${FILES} files, ${SECONDS} s at rest\n`);
await measure('file events (probed)', {});
await measure('no file events (polling)', { watch: false });
