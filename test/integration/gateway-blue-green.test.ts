// The blue-green release done with Gateway API: a Gateway of our class, an HTTPRoute whose backendRefs
// weights move old → 50/50 → new, served through a real Envoy. Shares are checked with binomial bounds,
// as the Ingress walkthrough is; the spec's 500 for an invalid backend's share and for all-zero weights,
// filters, and an HTTPRoute next to an Ingress on the Ingress port are checked the same way.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { dump } from 'js-yaml';
import type { App } from '../../src/app.js';
import { localExample, blueGreenIngress, writeIngress } from '../../src/local/example.js';
import { startEnvoy, type EnvoyProcess } from '../../src/local/envoy.js';
import { freePort, get, startBackend, tally, type Backend } from '../../src/local/http.js';
import { rejections } from '../support/envoy-stats.js';
import { steadyTraffic } from '../support/traffic.js';
import { converged, startSplitplane, waitForRollout } from '../support/splitplane.js';
import { sleep, waitFor } from '../../src/local/wait.js';
import { withinBinomial } from '../support/stats.js';
import type { Diagnostic } from '../../src/objects/diagnostics.js';
import { httpsGet } from '../support/https.js';
import type { GroupRollout } from '../../src/fleet/rollout.js';
import type { DashboardData } from '../../src/admin/dashboard-data.js';
import { ingressManifest, loopbackEndpointSlice, loopbackService, selfSignedCertificate, tlsSecret } from '../support/fixtures.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const HOST = 'mini-echo.io';
type Ref = { name: string; port?: number; weight?: number };

function gatewayManifests(port: number, ingressPort: number): object[] {
  return [
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'splitplane' },
      spec: { controllerName: 'splitplane.io/gateway-controller' },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        gatewayClassName: 'splitplane',
        listeners: [
          { name: 'http', port, protocol: 'HTTP' },
          { name: 'beside-ingress', port: ingressPort, protocol: 'HTTP', hostname: 'moved.example' },
        ],
      },
    },
  ];
}

function route(refs: Ref[], extraRules: object[] = [], name = 'echo', hostnames = [HOST], sectionName = 'http'): object {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'default' },
    spec: {
      parentRefs: [{ name: 'web', sectionName }],
      hostnames,
      rules: [...extraRules, { backendRefs: refs.map((r) => ({ port: 80, ...r })) }],
    },
  };
}

function write(dir: string, file: string, objects: object[]): void {
  const tmp = path.join(dir, `.${file}.tmp`);
  fs.writeFileSync(tmp, objects.map((o) => dump(o)).join('---\n'));
  fs.renameSync(tmp, path.join(dir, file));
}

describe('integration: the blue-green release with HTTPRoute weights through a real Envoy @envoy', function () {
  this.timeout(180_000);
  let backends: Record<string, Backend>;
  let dir: string;
  let app: App;
  let envoy: EnvoyProcess;
  let httpPort: number;
  let httpsPort: number;
  let gatewayPort: number;

  before(async () => {
    backends = { old: await startBackend('old'), new: await startBackend('new'), default: await startBackend('default backend', 404) };
    dir = localExample({ 'old-nginx': backends.old!.port, 'new-nginx': backends.new!.port, 'default-http-backend': backends.default!.port });
    writeIngress(dir, blueGreenIngress({ kind: 'before' }));
    httpPort = await freePort();
    gatewayPort = await freePort();
    write(dir, 'gateway.yaml', gatewayManifests(gatewayPort, httpPort));
    write(dir, 'route.yaml', [route([{ name: 'old-nginx' }])]);
    httpsPort = await freePort();
    app = await startSplitplane(dir, httpPort, httpsPort);
    envoy = await startEnvoy({ xdsPort: app.xdsPort, adminPort: await freePort() });
    await waitFor('Envoy to serve the Gateway', () => converged(app), 30_000);
    await waitFor('the first answer from old on the Gateway port', async () => (await tally(gatewayPort, HOST, 1)).get('old') === 1, 30_000);
  });

  after(async () => {
    await envoy?.stop();
    await app?.stop();
    for (const b of Object.values(backends ?? {})) await b.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Applies a route while traffic flows on the Gateway port; no request may fail across the transition. */
  async function transition(objects: object[]): Promise<void> {
    const before = app.cache.current();
    const traffic = steadyTraffic(gatewayPort, HOST, { maxMs: 30_000 });
    await sleep(200);
    write(dir, 'route.yaml', objects);
    await waitForRollout(app, before);
    await sleep(300);
    const { requests, failures } = await traffic.stop();
    expect(requests, 'requests sent during the transition').to.be.greaterThan(10);
    expect(failures, `failed requests during the transition (of ${requests})`).to.deep.equal([]);
  }

  async function diagnostics(): Promise<Diagnostic[]> {
    return (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/diagnostics`)).json()) as Diagnostic[];
  }

  it('before the release every request on the Gateway port reaches old', async () => {
    const counts = await tally(gatewayPort, HOST, 200);
    expect(Object.fromEntries(counts)).to.deep.equal({ old: 200 });
  });

  it('a host no route names gets 404 from the Gateway listener', async () => {
    const reply = await get(gatewayPort, 'unknown.example');
    expect(reply.status).to.equal(404);
  });

  it('weights 1 and 1: the new share of 2,000 requests is within 5 sigma of half', async () => {
    await transition([
      route([
        { name: 'old-nginx', weight: 1 },
        { name: 'new-nginx', weight: 1 },
      ]),
    ]);
    const counts = await tally(gatewayPort, HOST, 2000);
    const [low, high] = withinBinomial(2000, 0.5);
    expect([...counts.keys()].sort()).to.deep.equal(['new', 'old']);
    expect(counts.get('new')).to.be.within(low, high);
  });

  it('fleet truth: /debug/rollout says the HTTPRoute split is applied to 1 of 1 connected proxies, like an Ingress path', async () => {
    await waitFor('Envoy to take it', () => converged(app), 30_000);
    const groups = (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/rollout`)).json()) as GroupRollout[];
    const split = groups.find((g) => g.kind === 'HTTPRoute')!;
    expect(split.ingress).to.equal('default/echo');
    // File mode: the conditions the leader would write, on /debug/gateway-status and the dashboard.
    const status = (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/gateway-status`)).json()) as Array<{ object: string }>;
    expect(status.map((s) => s.object)).to.deep.equal(['GatewayClass splitplane', 'Gateway default/web', 'HTTPRoute default/echo']);
    const dashboard = (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/dashboard`)).json()) as DashboardData;
    expect(dashboard.gateways.find((g) => g.object === 'HTTPRoute default/echo')!.conditions).to.deep.equal([
      'parent web/http: Accepted=True (Accepted)',
      'parent web/http: ResolvedRefs=True (ResolvedRefs)',
    ]);
    expect(split.text).to.match(
      new RegExp(
        `^mini-echo\\.io:${gatewayPort}/ \\(PathPrefix, rule 0\\): old-nginx 50% / new-nginx 50% applied to 1 of 1 connected proxies at version [0-9a-f]+ \\(RDS\\)$`,
      ),
    );
  });

  it('weights 30 and 70 (not percentages): the new share is within 5 sigma of 70%', async () => {
    await transition([
      route([
        { name: 'old-nginx', weight: 30 },
        { name: 'new-nginx', weight: 70 },
      ]),
    ]);
    const counts = await tally(gatewayPort, HOST, 2000);
    const [low, high] = withinBinomial(2000, 0.7);
    expect(counts.get('new')).to.be.within(low, high);
    expect((counts.get('new') ?? 0) + (counts.get('old') ?? 0)).to.equal(2000);
  });

  it('old at weight 0: every request reaches new', async () => {
    await transition([
      route([
        { name: 'old-nginx', weight: 0 },
        { name: 'new-nginx', weight: 1 },
      ]),
    ]);
    const counts = await tally(gatewayPort, HOST, 1000);
    expect(Object.fromEntries(counts)).to.deep.equal({ new: 1000 });
  });

  it('the release ends with new as the single backend (the same Envoy route as old at 0, so nothing is pushed)', async () => {
    write(dir, 'route.yaml', [route([{ name: 'new-nginx' }])]);
    const backendsOf = () => app.controller.currentModel()?.gatewayPorts?.[0]?.virtualHosts[0]?.gatewayRoutes?.[0]?.rule.backends.length;
    await waitFor('the route with one backend', () => (app.controller.flush(), backendsOf() === 1), 30_000);
    const counts = await tally(gatewayPort, HOST, 1000);
    expect(Object.fromEntries(counts)).to.deep.equal({ new: 1000 });
    const status = app.controller.gatewayStatuses!.routes.find((r) => r.ref.name === 'echo')!;
    expect(status.parents[0]!.conditions.map((c) => `${c.type}=${c.status}:${c.reason}`)).to.deep.equal([
      'Accepted=True:Accepted',
      'ResolvedRefs=True:ResolvedRefs',
    ]);
  });

  it('a backend that does not exist: its half of the requests answers 500, the rest reach new, and the route says BackendNotFound', async () => {
    write(dir, 'route.yaml', [route([{ name: 'new-nginx' }, { name: 'no-such-service' }])]);
    await waitFor(
      'the diagnostic',
      async () => (await diagnostics()).some((d) => d.object.kind === 'HTTPRoute' && d.message.includes('no-such-service')),
      30_000,
    );
    await waitFor('Envoy to take it', () => converged(app), 30_000);
    const counts = await tally(gatewayPort, HOST, 2000);
    const errors = [...counts.entries()].filter(([k]) => k.startsWith('status:500')).reduce((sum, [, n]) => sum + n, 0);
    const [low, high] = withinBinomial(2000, 0.5);
    expect(errors, JSON.stringify(Object.fromEntries(counts))).to.be.within(low, high);
    expect(counts.get('new')! + errors).to.equal(2000);
    const status = app.controller.gatewayStatuses!.routes.find((r) => r.ref.name === 'echo')!;
    expect(status.parents[0]!.conditions[1]).to.include({ type: 'ResolvedRefs', status: 'False', reason: 'BackendNotFound' });
  });

  it('every weight 0: every request answers 500', async () => {
    const before = app.cache.current();
    write(dir, 'route.yaml', [
      route([
        { name: 'new-nginx', weight: 0 },
        { name: 'old-nginx', weight: 0 },
      ]),
    ]);
    await waitForRollout(app, before);
    await sleep(300);
    const counts = await tally(gatewayPort, HOST, 100);
    expect(
      [...counts.keys()].every((k) => k.startsWith('status:500')),
      JSON.stringify(Object.fromEntries(counts)),
    ).to.equal(true);
  });

  it('filters through Envoy: a redirect, a request header for the backend, a response header for the client', async () => {
    const redirect = {
      matches: [{ path: { type: 'Exact', value: '/moved' } }],
      filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'elsewhere.example', statusCode: 301 } }],
    };
    const headers = {
      matches: [{ path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'X-Version', value: 'v2' }] }],
      filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'X-Served-By', value: '100% splitplane' }] } }],
      backendRefs: [{ name: 'old-nginx', port: 80 }],
    };
    write(dir, 'route.yaml', [route([{ name: 'new-nginx' }], [redirect, headers])]);
    await waitFor('the redirect', async () => (await get(gatewayPort, HOST, '/moved')).status === 301, 30_000);
    const moved = await get(gatewayPort, HOST, '/moved');
    expect(moved.headers.location).to.equal(`http://elsewhere.example:${gatewayPort}/moved`);
    const api = await get(gatewayPort, HOST, '/api/x', undefined, { 'x-version': 'v2' });
    expect(api.body).to.equal('old');
    expect(api.headers['x-served-by']).to.equal('100% splitplane');
    expect((await get(gatewayPort, HOST, '/api/x')).body, 'without the header the catch-all rule serves').to.equal('new');
    expect((await get(gatewayPort, HOST, '/apix')).body, 'PathPrefix matches whole path elements').to.equal('new');
  });

  it('URLRewrite, RequestMirror and a request timeout through Envoy: what the backend sees, what the mirror gets, and a 504', async () => {
    // A backend that answers what it was asked (path and Host), slowly under /slow; and a mirror that counts.
    const seen: string[] = [];
    const echo = http.createServer((req, res) => {
      req.resume();
      const answer = () => res.end(JSON.stringify({ path: req.url, host: req.headers.host }));
      if (req.url?.startsWith('/slow')) setTimeout(answer, 3000);
      else answer();
    });
    let mirrored = 0;
    const mirror = http.createServer((req, res) => {
      req.resume();
      mirrored++;
      seen.push(String(req.url));
      res.end('mirror');
    });
    const listen = async (server: http.Server) => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    };
    try {
      write(dir, 'echo.yaml', [
        loopbackService('echo-back'),
        loopbackEndpointSlice('echo-back', await listen(echo)),
        loopbackService('mirror-back'),
        loopbackEndpointSlice('mirror-back', await listen(mirror)),
      ]);
      const to = [{ name: 'echo-back', port: 80 }];
      const rules = [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/strip' } }],
          filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'internal.example', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }],
          backendRefs: to,
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/prefix/one' } }],
          filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/two' } } }],
          backendRefs: to,
        },
        {
          matches: [{ path: { type: 'Exact', value: '/full' } }],
          filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/replaced' } } }],
          backendRefs: to,
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/mirror' } }],
          filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'mirror-back', port: 80 } } }],
          backendRefs: to,
        },
        { matches: [{ path: { type: 'PathPrefix', value: '/slow' } }], backendRefs: to, timeouts: { request: '1s' } },
      ];
      write(dir, 'route.yaml', [route([{ name: 'new-nginx' }], rules)]);
      const asked = async (path: string) => JSON.parse((await get(gatewayPort, HOST, path)).body) as { path: string; host: string };
      await waitFor('the rewrite', async () => (await get(gatewayPort, HOST, '/strip/a')).body.startsWith('{'), 30_000);
      await waitFor('Envoy to take it all', () => converged(app), 30_000);
      expect(await asked('/strip/a?q=1')).to.deep.equal({ path: '/a?q=1', host: 'internal.example' });
      expect((await asked('/strip')).path).to.equal('/');
      expect((await asked('/prefix/one/x')).path).to.equal('/two/x');
      expect((await asked('/full?keep=1')).path).to.equal('/replaced?keep=1');
      for (let i = 0; i < 20; i++) expect((await asked(`/mirror/${i}`)).path).to.equal(`/mirror/${i}`);
      await waitFor('every request mirrored', () => mirrored >= 20, 30_000);
      expect(seen.filter((u) => u.startsWith('/mirror/')).length).to.equal(20);
      // The backend would answer 200 after 3 s; Envoy's 1 s route timeout answers 504 first.
      expect((await get(gatewayPort, HOST, '/slow')).status, 'the request timeout').to.equal(504);
    } finally {
      echo.closeAllConnections();
      mirror.closeAllConnections();
      await new Promise((r) => echo.close(r));
      await new Promise((r) => mirror.close(r));
    }
  });

  it('on the Ingress port: an HTTPRoute serves its own host beside the Ingress, and a contested host and path stays with the older object', async () => {
    const moved = route([{ name: 'new-nginx' }], [], 'moved', ['moved.example'], 'beside-ingress');
    write(dir, 'route.yaml', [route([{ name: 'new-nginx' }]), moved]);
    await waitFor('moved.example on the Ingress port', async () => (await get(httpPort, 'moved.example')).body === 'new', 30_000);
    expect((await get(httpPort, HOST)).body, 'the Ingress still serves its host').to.equal('old');
    // The Ingress (no creation time in a file: the same) and the route claim mini-echo.io / on the Ingress port;
    // kind/namespace/name decides, HTTPRoute before Ingress, and the loser is told.
    const listener = gatewayManifests(gatewayPort, httpPort) as Array<{ spec?: { listeners?: Array<{ hostname?: string }> } }>;
    listener[1]!.spec!.listeners![1]!.hostname = HOST;
    write(dir, 'gateway.yaml', listener);
    const contested = route([{ name: 'new-nginx' }], [], 'takeover', [HOST], 'beside-ingress');
    write(dir, 'route.yaml', [route([{ name: 'new-nginx' }]), contested]);
    await waitFor(
      'the Ingress told it lost the path',
      async () => (await diagnostics()).some((d) => d.object.kind === 'Ingress' && d.message.includes('HTTPRoute default/takeover')),
      30_000,
    );
    await waitFor('Envoy to take it', () => converged(app), 30_000);
    const counts = await tally(httpPort, HOST, 100);
    expect(Object.fromEntries(counts)).to.deep.equal({ new: 100 });
  });

  it('HTTPS listeners: on a port of their own, and as more SNI chains on the Ingress HTTPS port; a hostname an Ingress holds there is a HostnameConflict', async () => {
    const ingressCert = selfSignedCertificate('secure.example');
    const gatewayCert = selfSignedCertificate('gw-tls.example');
    const secureIngress = ingressManifest(
      'secure',
      'secure.example',
      [{ service: 'old-nginx' }],
      {},
      { tls: [{ hosts: ['secure.example'], secretName: 'secure-cert' }] },
    );
    const ownHttps = await freePort();
    const https = (name: string, port: number, hostname: string) => ({
      name,
      port,
      protocol: 'HTTPS',
      hostname,
      tls: { certificateRefs: [{ name: 'gw-cert' }] },
    });
    const listeners = gatewayManifests(gatewayPort, httpPort) as Array<{ spec?: { listeners?: object[] } }>;
    listeners[1]!.spec!.listeners!.push(
      https('own-https', ownHttps, 'gw-tls.example'),
      https('shared-https', httpsPort, 'gw-tls.example'),
      https('taken', httpsPort, 'secure.example'),
    );
    write(dir, 'tls.yaml', [
      secureIngress,
      tlsSecret('secure-cert', ingressCert.certificate, ingressCert.key),
      tlsSecret('gw-cert', gatewayCert.certificate, gatewayCert.key),
    ]);
    write(dir, 'gateway.yaml', listeners);
    write(dir, 'route.yaml', [
      route([{ name: 'new-nginx' }], [], 'tls', ['gw-tls.example', 'secure.example'], 'own-https'),
      { ...route([{ name: 'new-nginx' }], [], 'tls-shared', ['gw-tls.example'], 'shared-https') },
    ]);
    await waitFor('the Gateway HTTPS listener', async () => (await httpsGet(ownHttps, 'gw-tls.example').catch(() => ({ body: '' }))).body === 'new', 30_000);
    await waitFor('Envoy to take it all', () => converged(app), 30_000);
    expect(await httpsGet(ownHttps, 'gw-tls.example')).to.deep.equal({ subject: 'gw-tls.example', body: 'new' });
    expect(await httpsGet(httpsPort, 'gw-tls.example'), 'a Gateway chain on the Ingress HTTPS port').to.deep.equal({ subject: 'gw-tls.example', body: 'new' });
    expect(await httpsGet(httpsPort, 'secure.example'), 'the Ingress keeps its host').to.deep.equal({ subject: 'secure.example', body: 'old' });
    const listener = app.controller.gatewayStatuses!.gateways[0]!.listeners.find((l) => l.name === 'taken')!;
    expect(listener.conditions.map((c) => `${c.type}=${c.status}:${c.reason}`)).to.include('Conflicted=True:HostnameConflict');
  });

  it('Envoy never rejected a configuration and splitplane saw no NACK', async () => {
    const stats = await envoy.stats();
    expect(rejections(stats), envoy.logTail()).to.deep.equal({});
    expect(['CDS', 'EDS', 'LDS', 'RDS', 'VHDS'].map((type) => app.metrics.value('splitplane_xds_nacks_total', { type })).reduce((a, b) => a + b)).to.equal(0);
  });
});
