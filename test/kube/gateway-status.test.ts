// Gateway API against the fake API server: informers for the Gateway API kinds, the status the leader
// writes (only when it changes, keeping other controllers' route entries and each condition's
// lastTransitionTime), and a cluster without the Gateway API CRDs, which keeps serving Ingresses.

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApp, type App } from '../../src/app.js';
import { DEFAULTS, type Config } from '../../src/config.js';
import { freePort } from '../../src/local/http.js';
import { waitFor } from '../../src/local/wait.js';
import { silentLogger } from '../../src/log.js';
import { FakeApiServer } from '../support/fake-apiserver.js';
import { ingressManifest, loopbackEndpointSlice, loopbackService } from '../support/fixtures.js';
import { gateway, gatewayClass, httpRoute, listener } from '../support/gateway-fixtures.js';
import type { Json } from '../support/json.js';

const LEASE = { durationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };
const brief = (conditions: Json[] | undefined) => (conditions ?? []).map((c: Json) => `${c.type}=${c.status}:${c.reason}`);

describe('kube/gateway-status: Gateway API from the API server, status from the leader', function () {
  this.timeout(60_000);
  let api: FakeApiServer;
  let dir: string;
  const apps: App[] = [];

  beforeEach(async () => {
    api = new FakeApiServer(100);
    await api.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-gateway-status-'));
    for (const o of [
      loopbackService('old-nginx'),
      loopbackEndpointSlice('old-nginx', 9001),
      ingressManifest('echo', 'mini-echo.io', [{ service: 'old-nginx' }]),
    ])
      api.apply(o);
  });
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.stop();
    await api.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function replica(extra: Partial<Config> = {}): Promise<App> {
    const app = await startApp(
      {
        ...DEFAULTS,
        source: 'kube',
        kubeconfig: api.writeKubeconfig(dir),
        xdsHost: '127.0.0.1',
        xdsPort: await freePort(),
        adminPort: await freePort(),
        leaderElect: true,
        lease: LEASE,
        publishAddress: '203.0.113.7',
        ...extra,
      },
      silentLogger,
    );
    apps.push(app);
    return app;
  }

  /** The other controller's class and Gateway, which the route also names. */
  const theirGateway = () => {
    api.apply(gatewayClass('other', 'example.com/other'));
    api.apply(gateway([listener('http', 80)], { name: 'theirs', className: 'other' }));
  };
  const route = (backendRefs: Json[]) =>
    httpRoute('echo', { parentRefs: [{ name: 'web' }, { name: 'theirs' }], hostnames: ['gw.example'], rules: [{ backendRefs }] });

  it('writes GatewayClass, Gateway and HTTPRoute status, keeps what others wrote, and writes again only on change', async () => {
    api.apply(gatewayClass());
    api.apply(gateway([listener('http', 9080), listener('tcp', 9081, { protocol: 'TCP' })]));
    theirGateway();
    const theirs = {
      parentRef: { name: 'theirs' },
      controllerName: 'example.com/other',
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'theirs', lastTransitionTime: '2026-01-01T00:00:00Z' }],
    };
    api.apply({
      ...route([
        { name: 'old-nginx', port: 80 },
        { name: 'ghost', port: 80 },
      ]),
      status: { parents: [theirs] },
    });
    const app = await replica();
    await waitFor('the route status', () => api.get('HTTPRoute', 'default', 'echo')?.status?.parents?.length === 2, 30_000);
    expect(brief(api.get('GatewayClass', undefined, 'splitplane')!.status.conditions)).to.deep.equal(['Accepted=True:Accepted']);
    const gw = api.get('Gateway', 'default', 'web')!;
    expect(gw.status.addresses).to.deep.equal([{ type: 'IPAddress', value: '203.0.113.7' }]);
    expect(brief(gw.status.conditions)).to.deep.equal(['Accepted=True:ListenersNotValid', 'Programmed=True:Programmed']);
    expect(gw.status.listeners.map((l: Json) => [l.name, l.attachedRoutes, brief(l.conditions)[0]])).to.deep.equal([
      ['http', 1, 'Accepted=True:Accepted'],
      ['tcp', 0, 'Accepted=False:UnsupportedProtocol'],
    ]);
    expect(gw.status.conditions[0].observedGeneration).to.equal(gw.metadata.generation);
    const parents = api.get('HTTPRoute', 'default', 'echo')!.status.parents;
    expect(parents[0], 'the other controller’s entry, untouched').to.deep.equal(theirs);
    expect(parents[1].controllerName).to.equal('splitplane.io/gateway-controller');
    expect(brief(parents[1].conditions)).to.deep.equal(['Accepted=True:Accepted', 'ResolvedRefs=False:BackendNotFound']);
    const accepted = parents[1].conditions[0];

    // A Normal Event on the HTTPRoute says what split it serves, as on an Ingress.
    await waitFor('the SplitApplied Event on the HTTPRoute', () =>
      api.list('Event', 'v1').some((e) => e.reason === 'SplitApplied' && e.involvedObject?.kind === 'HTTPRoute' && e.involvedObject?.name === 'echo'),
    );

    // The same objects again: nothing to write.
    const writes = api.requests.filter((r) => r.startsWith('PATCH') && r.includes('gateway.networking.k8s.io')).length;
    app.controller.changed();
    app.controller.flush();
    await new Promise((r) => setTimeout(r, 500));
    expect(api.requests.filter((r) => r.startsWith('PATCH') && r.includes('gateway.networking.k8s.io')).length).to.equal(writes);

    // The backend appears: ResolvedRefs turns True; Accepted keeps its lastTransitionTime.
    api.apply({ ...route([{ name: 'old-nginx', port: 80 }]), status: api.get('HTTPRoute', 'default', 'echo')!.status });
    await waitFor(
      'ResolvedRefs True',
      () => brief(api.get('HTTPRoute', 'default', 'echo')?.status?.parents?.[1]?.conditions)[1] === 'ResolvedRefs=True:ResolvedRefs',
      30_000,
    );
    const after = api.get('HTTPRoute', 'default', 'echo')!.status.parents[1].conditions[0];
    expect(after.lastTransitionTime).to.equal(accepted.lastTransitionTime);
    expect(after.observedGeneration).to.equal(api.get('HTTPRoute', 'default', 'echo')!.metadata.generation);

    // The route leaves our Gateway: our entry goes, theirs stays.
    api.apply({ ...httpRoute('echo', { parentRefs: [{ name: 'theirs' }], rules: [] }), status: api.get('HTTPRoute', 'default', 'echo')!.status });
    await waitFor('our entry removed', () => api.get('HTTPRoute', 'default', 'echo')?.status?.parents?.length === 1, 30_000);
    expect(api.get('HTTPRoute', 'default', 'echo')!.status.parents[0].controllerName).to.equal('example.com/other');
  });

  it('a conflicting write (another writer moved the route) is not forced: it is read again and retried', async () => {
    api.apply(gatewayClass());
    api.apply(gateway([listener('http', 9080)]));
    theirGateway();
    api.apply(route([{ name: 'old-nginx', port: 80 }]));
    api.fail(/^PATCH .*httproutes\/echo\/status/, 409, 1);
    await replica();
    await waitFor('the route status after the conflict', () => api.get('HTTPRoute', 'default', 'echo')?.status?.parents?.length === 1, 30_000);
    expect(api.requests.filter((r) => r.startsWith('PATCH') && r.includes('httproutes/echo/status')).length).to.be.at.least(2);
  });

  it('without the Gateway API CRDs: Ingresses are served, a note says how to add them, and they are read once installed', async () => {
    api.gatewayApi = false;
    const app = await replica({ kubeBackoff: { initialMs: 100, maxMs: 300 } });
    await waitFor('ready', async () => (await fetch(`http://127.0.0.1:${app.adminPort}/readyz`)).status === 200, 30_000);
    expect(app.controller.currentModel()!.virtualHosts.map((v) => v.host)).to.deep.equal(['mini-echo.io']);
    const notes = app.controller.diagnostics().filter((d) => d.object.kind === 'APIServer');
    expect(notes.map((d) => d.severity)).to.deep.equal(['info']);
    expect(notes[0]!.message).to.match(/install the Gateway API CRDs/);
    api.gatewayApi = true;
    api.apply(gatewayClass());
    api.apply(gateway([listener('http', 9080)]));
    await waitFor('the Gateway read once the CRDs exist', () => (app.controller.currentModel()?.gatewayPorts ?? []).length === 1, 30_000);
  });
});
