// The Kubernetes source against an in-process fake API server that speaks the real list/watch wire
// protocol, with the unmodified @kubernetes/client-node: the whole app, from an edit on the API server
// to a connected ADS client holding it. No real API server runs in CI (none can be installed here).

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApp, type App } from '../../src/app.js';
import { DEFAULTS } from '../../src/config.js';
import { freePort } from '../../src/local/http.js';
import { waitFor } from '../../src/local/wait.js';
import { silentLogger } from '../../src/log.js';
import { ROUTE_TYPE } from '../../src/proto/type-urls.js';
import { AdsClient } from '../support/ads-client.js';
import { FakeApiServer } from '../support/fake-apiserver.js';
import { echoIngress, blueGreenBackends, selfSignedCertificate, tlsSecret } from '../support/fixtures.js';
import type { Json } from '../support/json.js';

const echo = echoIngress;

describe('source/kube: informers against a fake API server', function () {
  this.timeout(60_000);
  let api: FakeApiServer;
  let dir: string;
  let app: App | undefined;
  const clients: AdsClient[] = [];

  beforeEach(async () => {
    api = new FakeApiServer(100);
    await api.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-kube-'));
    for (const o of [...blueGreenBackends(), echo('50')]) api.apply(o);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await app?.stop();
    app = undefined;
    await api.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(extra: Partial<typeof DEFAULTS> = {}): Promise<App> {
    app = await startApp(
      {
        ...DEFAULTS,
        source: 'kube',
        kubeconfig: api.writeKubeconfig(dir),
        xdsHost: '127.0.0.1',
        xdsPort: await freePort(),
        adminPort: await freePort(),
        ...extra,
      },
      silentLogger,
    );
    return app;
  }
  const readyz = async (a: App) => (await fetch(`http://127.0.0.1:${a.adminPort}/readyz`)).status;
  const weights = (a: App) => {
    const routes = a.cache.current()?.toJSON().RDS!.resources[0] as Json;
    const vhost = routes?.virtual_hosts.find((v: Json) => v.name === 'mini-echo.io');
    return vhost?.routes[0].route.weighted_clusters?.clusters.map((c: Json) => c.weight);
  };

  it('an Ingress edited on the API server reaches a connected ADS client', async () => {
    const a = await start();
    await waitFor('ready', async () => (await readyz(a)) === 200);
    expect(weights(a)).to.deep.equal([5000, 5000]);
    const client = new AdsClient(a.xdsPort);
    clients.push(client);
    const { rds } = await client.converge();
    api.apply(echo('100'));
    const next = await client.next(ROUTE_TYPE);
    expect(next.version_info).to.not.equal(rds.version_info);
    const vhost = next.resources[0]!.virtual_hosts.find((v: Json) => v.name === 'mini-echo.io');
    expect(vhost.routes[0].route.cluster).to.equal('default/new-nginx/80');
  });

  it('a status written on the API server (the first watch event of an object after the list) changes nothing: no build', async () => {
    const a = await start();
    await waitFor('ready', async () => (await readyz(a)) === 200);
    const builds = a.controller.builds;
    // The leader's write, as any other: the watch brings the object back with kind and apiVersion first,
    // where the list's items had none.
    const ingress = api.get('Ingress', 'default', 'echo')!;
    api.apply({ ...ingress, status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } } });
    // An edit after it: once it is built, the status event has been taken long before.
    api.apply(echo('100'));
    await waitFor('the edit built', () => weights(a) === undefined || weights(a)?.length !== 2);
    expect(a.controller.builds - builds, 'one build: the edit').to.equal(1);
  });

  it('/readyz is 503 until every initial list has synced, then 200; nothing is published before', async () => {
    api.fail(/^GET \/api\/v1\/services\?/, 500, 3);
    const a = await start();
    expect(await readyz(a)).to.equal(503);
    expect(a.cache.current(), 'no snapshot from part of the world').to.equal(undefined);
    await waitFor('ready after the retries', async () => (await readyz(a)) === 200, 30_000);
    expect(weights(a)).to.deep.equal([5000, 5000]);
  });

  it('the last list to arrive is an empty one: the build that waited for it is made then', async () => {
    // Every other list (and its objects) arrives first; the IngressClasses (none) come last.
    const release = api.hold(/^GET \/apis\/networking.k8s.io\/v1\/ingressclasses\?(?!.*watch)/);
    const a = await start();
    await waitFor('every other list read', () => api.requests.some((r) => r.startsWith('GET /apis/networking.k8s.io/v1/ingressclasses?')), 10_000);
    await waitFor('every other list in', () => a.source.notReady() === 'waiting for the first list of IngressClasss from the API server', 10_000);
    // Whatever the lists brought asked for its build, and it was tried and waited.
    await waitFor('no build pending', () => !a.controller.pending, 10_000);
    expect(a.cache.current(), 'nothing built from part of the world').to.equal(undefined);
    release();
    await waitFor('the snapshot, once the empty list is in', () => a.cache.current() !== undefined, 10_000);
    expect(weights(a)).to.deep.equal([5000, 5000]);
  });

  it('asks for bookmarks, and recovers from a broken watch', async () => {
    const a = await start();
    await waitFor('ready', async () => (await readyz(a)) === 200);
    expect(api.requests.filter((r) => r.includes('watch=true')).every((r) => r.includes('allowWatchBookmarks=true'))).to.equal(true);
    await waitFor('watches open', () => api.openWatches() >= 4);
    api.breakWatches();
    api.apply(echo('100'));
    await waitFor('the edit after the break', () => weights(a) === undefined);
  });

  it('410 Gone leads to a relist, and the edit made meanwhile is served', async () => {
    const a = await start();
    await waitFor('ready', async () => (await readyz(a)) === 200);
    await waitFor('watches open', () => api.openWatches() >= 4);
    const lists = () => api.requests.filter((r) => r.startsWith('GET /apis/networking.k8s.io/v1/ingresses?') && !r.includes('watch=')).length;
    const before = lists();
    api.breakWatches();
    api.apply(echo('20'));
    api.compact();
    await waitFor('the relist', () => lists() > before);
    await waitFor('the edit', () => JSON.stringify(weights(a)) === JSON.stringify([8000, 2000]));
  });

  it('a watch error restarts with backoff and is a diagnostic meanwhile; what was read keeps serving', async () => {
    const a = await start();
    await waitFor('ready', async () => (await readyz(a)) === 200);
    const version = a.cache.current()!.version(ROUTE_TYPE);
    api.fail(/ingresses\?/, 403, 2);
    api.compact();
    api.breakWatches();
    await waitFor('a diagnostic about the watch', () => a.controller.diagnostics().some((d) => d.object.kind === 'APIServer'), 30_000);
    expect(a.cache.current()!.version(ROUTE_TYPE), 'routes unchanged while the API server refuses').to.equal(version);
    api.apply(echo('0'));
    await waitFor(
      'recovered, with the new weight',
      () => weights(a) === undefined && a.controller.diagnostics().every((d) => d.object.kind !== 'APIServer'),
      30_000,
    );
  });

  it('the API server going away never empties what is served', async () => {
    const a = await start();
    await waitFor('ready', async () => (await readyz(a)) === 200);
    const version = a.cache.current()!.version(ROUTE_TYPE);
    await api.stop();
    await waitFor('a diagnostic about the watch', () => a.controller.diagnostics().some((d) => d.object.kind === 'APIServer'), 30_000);
    a.controller.rebuild();
    expect(a.cache.current()!.version(ROUTE_TYPE)).to.equal(version);
    expect(weights(a)).to.deep.equal([5000, 5000]);
    api = new FakeApiServer(100);
    await api.start();
  });

  it('TLS Secrets are watched one by one, by name; never listed wholesale', async () => {
    const cert = selfSignedCertificate('mini-echo.io');
    api.apply(tlsSecret('echo-tls', cert.certificate, cert.key));
    api.apply(tlsSecret('unrelated', cert.certificate, cert.key));
    api.apply({ ...echo('50'), spec: { ...echo('50').spec, tls: [{ hosts: ['mini-echo.io'], secretName: 'echo-tls' }] } });
    const a = await start();
    await waitFor('ready', async () => (await readyz(a)) === 200);
    await waitFor('the secret served', () => a.cache.current()!.toJSON().SDS!.resources.length === 1);
    const secretRequests = api.requests.filter((r) => r.includes('/secrets'));
    expect(secretRequests.length).to.be.greaterThan(0);
    for (const r of secretRequests)
      expect(r, 'every Secret request names one Secret').to.match(/\/namespaces\/default\/secrets\?.*fieldSelector=metadata.name%3Decho-tls/);
    expect(a.store.get('Secret', 'default', 'unrelated')).to.equal(undefined);
  });

  it('--namespace reads one namespace only', async () => {
    api.apply({ ...echo('50'), metadata: { ...echo('50').metadata, name: 'other', namespace: 'other' } });
    const a = await start({ namespace: 'default' });
    await waitFor('ready', async () => (await readyz(a)) === 200);
    expect(a.store.list('Ingress').map((i) => i.metadata.namespace)).to.deep.equal(['default']);
    // What it reads of the cluster is in that namespace, but for the cluster-wide kinds (classes, and
    // Namespaces for their labels); its own state (the rollout ConfigMap, the replicas' fleet reports) is in its own.
    const clusterWide = /ingressclasses|gatewayclasses|^GET \/api\/v1\/namespaces\?/;
    const own = /\/namespaces\/splitplane\/(configmaps|leases)[/?]/;
    const collections = api.requests.filter((r) => r.startsWith('GET') && !clusterWide.test(r) && !own.test(r));
    for (const r of collections) expect(r).to.match(/\/namespaces\/default\//);
  });
});
