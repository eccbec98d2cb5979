// Two routing bugs found by translating public conformance cases to Ingresses, through a real Envoy
// over both protocols: Exact /match against Prefix /match/ (a trailing slash does not lengthen a
// prefix, and Exact wins at equal length), and the Envoy that stayed STALE forever after the
// Ingresses using the last clusters were deleted (a later Ingress never reached it).

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from '../../src/app.js';
import { startEnvoy, type EnvoyProcess } from '../../src/local/envoy.js';
import { freePort, get, startBackend, type Backend } from '../../src/local/http.js';
import { waitFor } from '../../src/local/wait.js';
import { clientStatus } from '../../src/xds/client-status.js';
import { ingressManifest, loopbackEndpointSlice, loopbackService, writeObject } from '../support/fixtures.js';
import { converged, startSplitplane } from '../support/splitplane.js';

for (const protocol of ['sotw', 'delta'] as const)
  describe(`integration: routing conformance cases through a real Envoy (${protocol}) @envoy`, function () {
    this.timeout(120_000);
    const backends: Record<string, Backend> = {};
    let dir: string;
    let app: App;
    let envoy: EnvoyProcess;
    let httpPort: number;

    /** The body Envoy answers with (or its status when it is not 200), once it stops changing to `wanted`. */
    const answer = (host: string, target: string) => get(httpPort, host, target).then((r) => (r.status === 200 ? r.body : String(r.status)));
    const until = (host: string, target: string, wanted: string) =>
      waitFor(`${host}${target} → ${wanted}`, async () => ((await answer(host, target)) === wanted ? wanted : undefined), 30_000, 50);

    before(async () => {
      for (const name of ['exact', 'prefix', 'shared', 'root']) backends[name] = await startBackend(name);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-conformance-'));
      for (const name of Object.keys(backends)) writeObject(dir, `svc-${name}`, [loopbackService(name), loopbackEndpointSlice(name, backends[name]!.port)]);
      httpPort = await freePort();
      app = await startSplitplane(dir, httpPort);
      envoy = await startEnvoy({ xdsPort: app.xdsPort, adminPort: await freePort(), protocol });
    });

    after(async () => {
      await envoy?.stop();
      await app?.stop();
      for (const b of Object.values(backends)) await b.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    // First, on a fresh Envoy: the sequence needs the Envoy's first clusters to be the ones deleted.
    it('after the Ingresses using the last clusters are deleted, Envoy stays SYNCED and a later Ingress reaches it (503 for a missing Service)', async () => {
      // Three Ingresses on no host: /shared, and / twice (the newer one conflicts and gets a diagnostic).
      writeObject(dir, 'ingress-shared', ingressManifest('shared', undefined, [{ path: '/shared', service: 'shared' }]));
      writeObject(dir, 'ingress-root-1', { ...ingressManifest('root-1', undefined, [{ path: '/', service: 'root' }]) });
      writeObject(dir, 'ingress-root-2', ingressManifest('root-2', undefined, [{ path: '/', service: 'exact' }]));
      await until('any.test', '/shared', 'shared');
      await until('any.test', '/', 'root');
      // The Services stay; only the Ingresses go, and with them every cluster.
      for (const file of ['ingress-shared', 'ingress-root-1', 'ingress-root-2']) fs.rmSync(path.join(dir, `${file}.yaml`));
      await until('any.test', '/', '404');
      await waitFor(
        'Envoy SYNCED with no clusters',
        () => converged(app) && app.ads.list().every((s) => clientStatus(s.stream, '', app.cache.current()).state === 'SYNCED'),
        30_000,
      );
      writeObject(dir, 'ingress-missing', ingressManifest('missing', undefined, [{ path: '/', service: 'no-such-service' }]));
      await until('any.test', '/', '503');
      await waitFor(
        'Envoy SYNCED again',
        () => converged(app) && app.ads.list().every((s) => clientStatus(s.stream, '', app.cache.current()).state === 'SYNCED'),
        30_000,
      );
      fs.rmSync(path.join(dir, 'ingress-missing.yaml'));
    });
    it('Exact /match is taken before Prefix /match/ (equal length once the slash is dropped); /match/ and below take the prefix', async () => {
      writeObject(
        dir,
        'ingress-paths',
        ingressManifest('paths', 'paths.test', [
          { path: '/match/', pathType: 'Prefix', service: 'prefix' },
          { path: '/match', pathType: 'Exact', service: 'exact' },
        ]),
      );
      await until('paths.test', '/match', 'exact');
      expect(await answer('paths.test', '/match/')).to.equal('prefix');
      expect(await answer('paths.test', '/match/x')).to.equal('prefix');
      expect(await answer('paths.test', '/matchx')).to.equal('404');
      fs.rmSync(path.join(dir, 'ingress-paths.yaml'));
      await until('paths.test', '/match', '404');
    });
  });
