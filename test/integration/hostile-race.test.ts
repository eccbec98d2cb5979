// A hostile client racing a real Envoy: it ACKed once, then refuses every route push the moment it gets
// it, before the Envoy answers. Before the NACK rules it won the first flip and 7 of 10 flips ended with
// every Ingress removed; now each of 10 flips ends served to the Envoy (over SotW and Delta).

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from '../../src/app.js';
import { startEnvoy, type EnvoyProcess } from '../../src/local/envoy.js';
import { freePort } from '../../src/local/http.js';
import { waitFor } from '../../src/local/wait.js';
import { ROUTE_TYPE } from '../../src/proto/type-urls.js';
import { AdsClient } from '../support/ads-client.js';
import { blueGreenBackends, echoIngress, writeObject } from '../support/fixtures.js';
import { converged, startSplitplane } from '../support/splitplane.js';

for (const protocol of ['sotw', 'delta'] as const)
  describe(`integration: a client refusing every route push races a real Envoy (${protocol}) @envoy`, function () {
    this.timeout(180_000);
    let dir: string;
    let app: App;
    let envoy: EnvoyProcess;
    let hostile: AdsClient;

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-race-'));
      writeObject(dir, 'backends', blueGreenBackends());
      writeObject(dir, 'echo', echoIngress('50'));
      app = await startSplitplane(dir, await freePort());
      envoy = await startEnvoy({ xdsPort: app.xdsPort, adminPort: await freePort(), protocol });
      hostile = new AdsClient(app.xdsPort, 'racer');
      await hostile.converge();
      await waitFor('the Envoy and the racer in step', () => converged(app), 30_000);
    });
    after(async () => {
      hostile?.close();
      await envoy?.stop();
      await app?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('10 flips: every one ends served to the Envoy, none removes or rolls back anything', async () => {
      const weightServed = () => {
        const group = app.controller.currentModel()?.virtualHosts.find((v) => v.host === 'mini-echo.io')?.groups[0];
        return group?.backends.find((b) => b.service === 'new-nginx')?.basisPoints;
      };
      const envoyStream = () => app.ads.list().find((s) => s.stream.node?.id !== 'racer')!.stream;
      for (const weight of [10, 90, 20, 80, 30, 70, 40, 60, 0, 100]) {
        // The Envoy is held still while the racer gets the push and refuses it: the racer always answers first.
        envoy.pause(true);
        writeObject(dir, 'echo', echoIngress(String(weight)));
        const push = await hostile.next(ROUTE_TYPE);
        hostile.nack(push, '', 'refused by the racer', ['ingress_http']);
        await waitFor(
          'the refusal judged',
          () => app.ads.list().find((s) => s.stream.node?.id === 'racer')?.stream.types[ROUTE_TYPE].lastNack?.version === push.version_info,
        );
        envoy.pause(false);
        await waitFor(`the Envoy running ${weight} %`, () => {
          const state = envoyStream().types[protocol === 'sotw' ? ROUTE_TYPE : 'type.googleapis.com/envoy.config.route.v3.VirtualHost'];
          const published = app.cache.current()!.version(state.typeUrl, envoyStream().routing);
          return weightServed() === weight * 100 && state.ackedVersion === published && !state.awaitingReply;
        });
      }
      expect(app.controller.diagnostics().filter((d) => d.severity === 'error')).to.deep.equal([]);
      expect(app.cache.current()!.type(ROUTE_TYPE).resources.get('ingress_http')).to.not.equal(undefined);
    });
  });
