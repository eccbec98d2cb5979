// Events on the fake API server: a diagnostic becomes a Warning Event on its object, the same problem
// again bumps the same Event's count, a new split is a Normal Event, and an object's Events are rate
// limited. Only a leader records.

import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApp, type App } from '../../src/app.js';
import { DEFAULTS } from '../../src/config.js';
import { freePort } from '../../src/local/http.js';
import { waitFor } from '../../src/local/wait.js';
import { KubeClient } from '../../src/kube/client.js';
import { EventRecorder, reasonFor } from '../../src/kube/events.js';
import { silentLogger } from '../../src/log.js';
import type { Diagnostic } from '../../src/objects/diagnostics.js';
import type { KubeObject } from '../../src/objects/kube.js';
import { FakeApiServer } from '../support/fake-apiserver.js';
import { echoIngress, blueGreenBackends } from '../support/fixtures.js';
import { AdsClient } from '../support/ads-client.js';

const W = 'ingress.aliyun.weight/new-nginx';
const echo = echoIngress;

describe('kube/events', function () {
  this.timeout(60_000);
  let api: FakeApiServer;
  let dir: string;
  let app: App | undefined;

  beforeEach(async () => {
    api = new FakeApiServer(100);
    await api.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-events-'));
    for (const o of [...blueGreenBackends(), echo('50')]) api.apply(o);
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await api.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const events = () => api.list('Event', 'v1');
  const start = async () =>
    (app = await startApp(
      { ...DEFAULTS, source: 'kube', kubeconfig: api.writeKubeconfig(dir), xdsHost: '127.0.0.1', xdsPort: await freePort(), adminPort: await freePort() },
      silentLogger,
    ));

  it('reasons name the kind of problem', () => {
    const d = (field: string, message: string, severity: Diagnostic['severity'] = 'error'): Diagnostic => ({
      severity,
      object: { kind: 'Ingress', namespace: 'default', name: 'echo' },
      field,
      message,
    });
    const table: Array<[Diagnostic, string]> = [
      [d(`metadata.annotations["${W}"]`, '"abc" is not a percentage'), 'InvalidWeight'],
      [d('metadata', 'this version is rejected because of the errors above; the last accepted version keeps serving', 'warning'), 'Rejected'],
      [
        d(
          'spec.rules[0].http.paths[1].backend.service.name',
          'Service default/new-nginx port 80 has no ready endpoints; its 50% goes to the ready backends',
          'warning',
        ),
        'BackendNotReady',
      ],
      [d('endpoints', 'Envoy (node "n") refused the EDS update built from this EndpointSlice (x): "bad"'), 'RejectedByEnvoy'],
      [
        d('metadata.annotations["nginx.ingress.kubernetes.io/rewrite-target"]', 'is not supported by splitplane and is ignored', 'warning'),
        'IgnoredAnnotation',
      ],
      [d('spec.rules', 'must be a list, not a string ("x")'), 'InvalidSpec'],
    ];
    for (const [diagnostic, reason] of table) expect(reasonFor(diagnostic), diagnostic.message).to.equal(reason);
  });

  it('a bad weight is a Warning Event on the Ingress; breaking it again bumps the same Event; a new split is a Normal Event', async () => {
    await start();
    await waitFor('the first split event', () => events().some((e) => e.reason === 'SplitApplied'));
    const split = events().find((e) => e.reason === 'SplitApplied')!;
    expect(split).to.deep.include({ type: 'Normal', message: 'mini-echo.io/ (Prefix): old-nginx 50% / new-nginx 50%' });
    expect(split.involvedObject).to.deep.include({
      kind: 'Ingress',
      namespace: 'default',
      name: 'echo',
      uid: api.get('Ingress', 'default', 'echo')!.metadata.uid,
    });

    api.apply(echo('abc'));
    await waitFor('the warning', () => events().some((e) => e.reason === 'InvalidWeight'));
    const warning = events().find((e) => e.reason === 'InvalidWeight')!;
    expect(warning.type).to.equal('Warning');
    expect(warning.message).to.contain(`metadata.annotations["${W}"]`).and.contain('abc');
    expect(warning.count).to.equal(1);

    api.apply(echo('100'));
    await waitFor('the new split', () => events().some((e) => e.reason === 'SplitApplied' && e.message.endsWith('old-nginx 0% / new-nginx 100%')));
    api.apply(echo('abc'));
    await waitFor('the same warning, counted twice', () => events().find((e) => e.reason === 'InvalidWeight')?.count === 2);
    expect(events().filter((e) => e.reason === 'InvalidWeight')).to.have.length(1);
  });

  it('once a connected proxy ACKs the new routes, a Normal RolloutComplete Event says the split is applied to 1 of 1', async () => {
    await start();
    const client = new AdsClient(app!.xdsPort);
    try {
      await client.converge();
      await waitFor('the rollout event', () => events().some((e) => e.reason === 'RolloutComplete'), 10_000);
      const done = events().find((e) => e.reason === 'RolloutComplete')!;
      expect(done.type).to.equal('Normal');
      expect(done.message).to.match(
        /^mini-echo\.io\/ \(Prefix\): old-nginx 50% \/ new-nginx 50% applied to 1 of 1 connected proxies at version [0-9a-f]{16} \(RDS\)$/,
      );
      expect(done.involvedObject).to.deep.include({ kind: 'Ingress', namespace: 'default', name: 'echo' });
    } finally {
      client.close();
    }
  });

  it("an object's Events are rate limited (a burst, then one per interval); a follower records nothing", async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(api.writeKubeconfig(dir));
    const client = new KubeClient(kubeConfig);
    const object = api.get('Ingress', 'default', 'echo') as unknown as KubeObject;
    const leader = new EventRecorder(client, { isLeader: () => true, instance: 'a', burst: 5, intervalMs: 60_000 }, silentLogger);
    for (let i = 0; i < 8; i++) await leader.record({ object, type: 'Warning', reason: 'InvalidSpec', message: `problem ${i}` });
    expect(leader.recorded).to.equal(5);
    expect(leader.dropped).to.equal(3);
    const follower = new EventRecorder(client, { isLeader: () => false, instance: 'b' }, silentLogger);
    await follower.record({ object, type: 'Warning', reason: 'InvalidSpec', message: 'from the follower' });
    expect(events().some((e) => e.message === 'from the follower')).to.equal(false);
  });

  it('a stopping recorder lets the writes under way land, and records nothing once stopped', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(api.writeKubeconfig(dir));
    const object = api.get('Ingress', 'default', 'echo') as unknown as KubeObject;
    const recorder = new EventRecorder(new KubeClient(kubeConfig), { isLeader: () => true, instance: 'a' }, silentLogger);
    const underWay = recorder.record({ object, type: 'Normal', reason: 'SplitApplied', message: 'under way' });
    await recorder.stop();
    expect(events().map((e) => e.message)).to.deep.equal(['under way']);
    await underWay;
    await recorder.record({ object, type: 'Normal', reason: 'SplitApplied', message: 'after the stop' });
    expect(events().map((e) => e.message)).to.deep.equal(['under way']);
    expect(recorder.recorded).to.equal(1);
  });

  it('an Event whose write failed while the API server was down is written once it answers, within the same rate limit', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(api.writeKubeconfig(dir));
    const client = new KubeClient(kubeConfig);
    const object = api.get('Ingress', 'default', 'echo') as unknown as KubeObject;
    const recorder = new EventRecorder(client, { isLeader: () => true, instance: 'a', burst: 2, intervalMs: 60_000 }, silentLogger);
    api.fail(/^POST \/api\/v1\/namespaces\/default\/events$/, 503, 3);
    await recorder.record({ object, type: 'Warning', reason: 'InvalidWeight', message: 'during the outage' });
    expect(events().some((e) => e.message === 'during the outage')).to.equal(false);
    expect(recorder.pending).to.equal(1);
    await waitFor('the Event written once the API server answers', () => events().some((e) => e.message === 'during the outage'), 20_000);
    expect(recorder.pending).to.equal(0);
    // The retry took no second token: one more Event fits in the burst of two, the next does not.
    await recorder.record({ object, type: 'Warning', reason: 'InvalidWeight', message: 'second' });
    await recorder.record({ object, type: 'Warning', reason: 'InvalidWeight', message: 'third' });
    expect(recorder.recorded).to.equal(2);
    expect(recorder.dropped).to.equal(1);
    await recorder.stop();
  });
});
