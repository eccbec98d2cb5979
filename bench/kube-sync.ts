// npm run bench:kube-sync: the initial sync of a large cluster from a real kube-apiserver and etcd
// (built by test/support/install-kube.sh), with the ServiceAccount of deploy/rbac.yaml:
// BENCH_SYNC_INGRESSES Ingresses (10,000), each with two Services and their EndpointSlices (20,000 of each).
// Figures: splitplane started → first snapshot published with every host (target ≤ 10 s), how long
// the lists took of that, and the RSS then. The world is created first, with progress (minutes).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../src/local/wait.js';
import { envoyRoot } from '../src/proto/registry.js';
import { CLUSTER_TYPE, VIRTUAL_HOST_TYPE } from '../src/proto/type-urls.js';
import { startRealApiServer } from '../test/support/kube-apiserver.js';
import { createLargeWorld } from '../test/support/large-world.js';
import { startKubeReplica } from '../test/support/splitplane.js';

const INGRESSES = Number(process.env.BENCH_SYNC_INGRESSES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const say = (line: string) => process.stdout.write(`${line}\n`);

envoyRoot();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-bench-sync-'));
process.env.POD_NAMESPACE = 'splitplane';
say('starting kube-apiserver and etcd (built once by test/support/install-kube.sh)');
const api = await startRealApiServer(dir);
try {
  const t0 = performance.now();
  await createLargeWorld(api.admin, INGRESSES, (n, total) => say(`  created ${n} of ${total} objects (${((performance.now() - t0) / 1000).toFixed(0)} s)`));
  say(
    `world: ${INGRESSES} Ingresses, ${2 * INGRESSES} Services, ${2 * INGRESSES} EndpointSlices, created in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );

  const synced: number[] = [];
  const rss: number[] = [];
  const heap: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    global.gc?.();
    const before = process.memoryUsage();
    const started = performance.now();
    const app = await startKubeReplica(api.serviceAccountKubeconfig);
    try {
      await waitFor('the first snapshot', () => app.cache.current(), 600_000, 5);
      synced.push(performance.now() - started);
      const snapshot = app.cache.current()!;
      const hosts = snapshot.type(VIRTUAL_HOST_TYPE).resources.size;
      const clusters = snapshot.type(CLUSTER_TYPE).resources.size;
      if (hosts < INGRESSES || clusters < 2 * INGRESSES)
        throw new Error(`the first snapshot holds ${hosts} hosts and ${clusters} clusters, not all of the world`);
      global.gc?.();
      const after = process.memoryUsage();
      rss.push(after.rss - before.rss);
      heap.push(after.heapUsed);
      say(
        `  round ${round + 1}: started → first snapshot with ${hosts} hosts ${synced.at(-1)!.toFixed(0)} ms; RSS ${mib(after.rss)} MiB (+${mib(after.rss - before.rss)}), heap ${mib(after.heapUsed)} MiB`,
      );
    } finally {
      await app.stop();
    }
  }
  say(
    `initial sync → first snapshot      min ${Math.min(...synced).toFixed(0)} ms  median ${median(synced).toFixed(0)} ms  (target ≤ 10000 ms, ${ROUNDS} rounds)`,
  );
  say(`RSS grown by the sync              min ${mib(Math.min(...rss))} MiB  median ${mib(median(rss))} MiB; heap after it ${mib(median(heap))} MiB`);
} finally {
  await api.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
