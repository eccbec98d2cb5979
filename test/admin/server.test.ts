import { expect } from 'chai';
import type http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createAdminServer } from '../../src/admin/server.js';
import { HEADERS_TIMEOUT_MS, MAX_ADMIN_CONNECTIONS } from '../../src/admin/guard.js';
import { waitFor } from '../../src/local/wait.js';
import { Metrics } from '../../src/metrics.js';
import { buildModel } from '../../src/model/build.js';
import type { Diagnostic } from '../../src/objects/diagnostics.js';
import { translate } from '../../src/resources/translate.js';
import { Snapshot } from '../../src/snapshot/snapshot.js';
import { ingress, blueGreenCluster, proxyStatus } from '../support/fixtures.js';
import type { Json } from '../support/json.js';
import type { ClientStatus } from '../../src/xds/client-status.js';

describe('admin/server', () => {
  let server: http.Server;
  let base: string;
  let snapshot: Snapshot | undefined;
  const diagnostics: Diagnostic[] = [
    {
      severity: 'error',
      object: { kind: 'Ingress', namespace: 'default', name: 'echo' },
      field: 'metadata.annotations["ingress.aliyun.weight/new-nginx"]',
      message: 'bad',
    },
  ];
  const client = (node: string, state: ClientStatus['state']) => proxyStatus(node, state);
  const clients = [client('envoy-1', 'SYNCED'), client('pod/2', 'NACKED')];
  const metrics = new Metrics();
  metrics.counter('splitplane_xds_nacks_total', 'NACKs.')({ type: 'CDS' });

  before(async () => {
    server = createAdminServer({ snapshot: () => snapshot, diagnostics: () => diagnostics, streams: () => [{ id: 1 }], clients: () => clients, metrics });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('/healthz is 200; /readyz is 503 until the first snapshot, then 200', async () => {
    expect((await fetch(`${base}/healthz`)).status).to.equal(200);
    expect((await fetch(`${base}/readyz`)).status).to.equal(503);
    expect((await fetch(`${base}/debug/snapshot`)).status).to.equal(503);
    const model = buildModel({
      ingresses: [ingress({ annotations: { 'ingress.aliyun.weight/new-nginx': '50' }, paths: [{ service: 'old-nginx' }, { service: 'new-nginx' }] })],
      ...blueGreenCluster(),
      ingressClasses: [],
      ingressClass: 'splitplane',
    }).model;
    snapshot = Snapshot.fromResources(translate(model, { http: { address: '0.0.0.0', port: 8080 } }));
    expect((await fetch(`${base}/readyz`)).status).to.equal(200);
  });

  it('/debug/snapshot shows the version and resources of every type as proto JSON', async () => {
    const body = (await (await fetch(`${base}/debug/snapshot`)).json()) as Json;
    expect(body.RDS.version).to.equal(snapshot!.version('type.googleapis.com/envoy.config.route.v3.RouteConfiguration'));
    const route = body.RDS.resources[0].virtual_hosts.find((v: Json) => v.name === 'mini-echo.io').routes[0];
    expect(route.route.weighted_clusters.clusters).to.deep.equal([
      { name: 'default/old-nginx/80', weight: 5000 },
      { name: 'default/new-nginx/80', weight: 5000 },
    ]);
  });

  it('/debug/diagnostics lists each problem with object and field', async () => {
    expect(await (await fetch(`${base}/debug/diagnostics`)).json()).to.deep.equal(diagnostics);
  });

  it('/debug/streams lists the connected Envoys', async () => {
    expect(await (await fetch(`${base}/debug/streams`)).json()).to.deep.equal([{ id: 1 }]);
  });

  it('/debug/clients lists every proxy with its sync state; /debug/clients/NODE shows one, 404 for an unknown node', async () => {
    expect(await (await fetch(`${base}/debug/clients`)).json()).to.deep.equal(clients);
    expect(await (await fetch(`${base}/debug/clients/envoy-1`)).json()).to.deep.equal({ node: 'envoy-1', streams: [clients[0]] });
    expect(await (await fetch(`${base}/debug/clients/pod%2F2`)).json()).to.deep.equal({ node: 'pod/2', streams: [clients[1]] });
    const unknown = await fetch(`${base}/debug/clients/nobody`);
    expect(unknown.status).to.equal(404);
    expect(((await unknown.json()) as Json).error).to.contain('"nobody"');
  });

  it('/ is the dashboard for a browser, with a strict Content-Security-Policy; other clients get the list of pages', async () => {
    const page = await fetch(`${base}/`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(page.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).to.contain("script-src 'self'").and.contain("default-src 'none'");
    expect(page.headers.get('x-frame-options')).to.equal('DENY');
    expect(await page.text()).to.contain('<script type="module" src="/dashboard.js">');
    const plain = await fetch(`${base}/`);
    expect(plain.headers.get('content-type')).to.contain('text/plain');
    expect(await plain.text()).to.contain('/debug/dashboard');
    expect(await (await fetch(`${base}/debug`)).text()).to.contain('/debug/rollout');
  });

  it('/dashboard.js is the compiled client script, self-contained; /dashboard.css is served', async () => {
    const script = await fetch(`${base}/dashboard.js`);
    expect(script.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
    const text = await script.text();
    expect(text).to.contain('/debug/dashboard');
    expect(text).to.not.match(/^import /m);
    expect(text).to.not.contain('sourceMappingURL');
    // Built with DOM nodes and textContent: nothing it shows is parsed as HTML.
    expect(text).to.not.match(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    expect((await fetch(`${base}/dashboard.css`)).headers.get('content-type')).to.equal('text/css; charset=utf-8');
  });

  it('/debug/dashboard: hosts, the fleet worst first, and the diagnostics, as JSON', async () => {
    const data = (await (await fetch(`${base}/debug/dashboard`)).json()) as Json;
    expect(data.fleet.total).to.equal(2);
    expect(data.fleet.byState).to.deep.equal({ NACKED: 1, STALE: 0, SYNCED: 1 });
    expect(data.fleet.shown.map((p: Json) => p.node)).to.deep.equal(['pod/2', 'envoy-1']);
    expect(data.diagnostics.shown).to.deep.equal(diagnostics);
    expect(data.hosts).to.deep.equal([]);
  });

  it('/metrics is Prometheus text', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).to.contain('text/plain');
    const text = await res.text();
    expect(text).to.contain('# TYPE splitplane_xds_nacks_total counter');
    expect(text).to.contain('splitplane_xds_nacks_total{type="CDS"} 1');
  });

  it('unknown pages are 404 with the list of pages; other methods are 405', async () => {
    const res = await fetch(`${base}/nope`);
    expect(res.status).to.equal(404);
    expect(await res.text()).to.contain('/debug/snapshot');
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).to.equal(405);
  });

  it("a kept-alive connection survives a stall of the process longer than Node's 5 s idle close", async function () {
    this.timeout(30_000);
    expect((await fetch(`${base}/healthz`)).status).to.equal(200);
    // Block the event loop as a long rebuild or a paused VM does: both the server's idle timer and the
    // next request become due at once. With Node's default the server wins and the request is reset.
    const until = Date.now() + 5_500;
    while (Date.now() < until);
    expect((await fetch(`${base}/healthz`)).status).to.equal(200);
  });

  // One raw request on its own connection; the status of the answer, or 'closed' when there is none.
  const raw = (request: string) =>
    new Promise<string>((resolve) => {
      const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
      let answer = '';
      socket.setTimeout(10_000, () => socket.destroy());
      socket.on('data', (d) => (answer += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(answer.split('\r\n')[0] || 'closed'));
      socket.write(request);
      socket.end();
    });

  const HOSTILE = [
    'GET //[/ HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET http://[ HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET http://a:99999/ HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET //evil.example/healthz HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET %%% HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET /\u0000 HTTP/1.1\r\n\r\n',
    'BREW /pot HTCPCP/1.0\r\n\r\n',
    'GARBAGE\r\n\r\n',
    '\r\n\r\n',
    `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: a\r\n\r\n`,
    `GET / HTTP/1.1\r\nX: ${'b'.repeat(100_000)}\r\n\r\n`,
    'GET /healthz HTTP/9.9\r\n\r\n',
    'POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello',
  ];

  it('answers hostile request lines with 4xx, and keeps serving', async () => {
    for (const request of HOSTILE) {
      const status = await raw(request);
      expect(status, JSON.stringify(request.slice(0, 40))).to.match(/^HTTP\/1\.[01] (4\d\d|200)|^closed$/);
      expect((await fetch(`${base}/healthz`)).status, `alive after ${JSON.stringify(request.slice(0, 40))}`).to.equal(200);
    }
    expect(await raw('GET //[/ HTTP/1.1\r\nHost: a\r\n\r\n')).to.match(/^HTTP\/1\.1 400/);
    expect(await raw('GET http://a:99999/ HTTP/1.1\r\nHost: a\r\n\r\n')).to.match(/^HTTP\/1\.1 400/);
  });

  it('answers only requests addressed to loopback or its own address (DNS rebinding): 421 for any other Host', async () => {
    const port = (server.address() as AddressInfo).port;
    for (const host of ['localhost', `localhost:${port}`, `127.0.0.1:${port}`, '[::1]:19000', '127.1.2.3']) {
      expect(await raw(`GET /debug/diagnostics HTTP/1.1\r\nHost: ${host}\r\n\r\n`), host).to.match(/^HTTP\/1\.1 200/);
    }
    for (const host of ['evil.example', `evil.example:${port}`, '10.0.0.1', '127.0.0.1.evil.example']) {
      expect(await raw(`GET /debug/diagnostics HTTP/1.1\r\nHost: ${host}\r\n\r\n`), host).to.match(/^HTTP\/1\.1 421/);
    }
    expect(await raw('GET http://evil.example/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 'the absolute target names the host').to.match(/^HTTP\/1\.1 421/);
  });

  it('bound to another address (--admin-host), any Host is answered', async () => {
    const open = createAdminServer({ snapshot: () => undefined, diagnostics: () => [], streams: () => [], metrics }, { bindAddress: '0.0.0.0' });
    await new Promise<void>((resolve) => open.listen(0, '127.0.0.1', resolve));
    try {
      const socket = net.connect((open.address() as AddressInfo).port, '127.0.0.1');
      let answer = '';
      socket.on('data', (d) => (answer += d.toString('latin1')));
      socket.write('GET /healthz HTTP/1.1\r\nHost: splitplane.internal:19000\r\nConnection: close\r\n\r\n');
      await new Promise((resolve) => socket.on('close', resolve));
      expect(answer).to.match(/^HTTP\/1\.1 200/);
    } finally {
      await new Promise<void>((resolve) => open.close(() => resolve()));
    }
  });

  it('every response carries nosniff, a Content-Security-Policy and no framing', async () => {
    for (const page of ['/healthz', '/readyz', '/debug', '/debug/diagnostics', '/debug/clients', '/metrics', '/nope', '/', '/dashboard.js']) {
      const res = await fetch(`${base}${page}`);
      expect(res.headers.get('x-content-type-options'), page).to.equal('nosniff');
      expect(res.headers.get('content-security-policy'), page).to.contain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options'), page).to.equal('DENY');
    }
  });

  it('1,100 trickling connections: the oldest are closed past the cap, /healthz still answers, and trickling headers time out', async function () {
    this.timeout(60_000);
    const port = (server.address() as AddressInfo).port;
    const sockets: net.Socket[] = [];
    let closedByServer = 0;
    try {
      for (let i = 0; i < 1100; i++) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.on('close', () => closedByServer++);
        socket.resume(); // read what the server sends, so its end is seen
        socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
        sockets.push(socket);
        if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
      }
      expect((await fetch(`${base}/healthz`)).status).to.equal(200);
      const open = await new Promise<number>((resolve) => server.getConnections((_, n) => resolve(n)));
      expect(open, 'open connections').to.be.at.most(MAX_ADMIN_CONNECTIONS + 1);
      await waitFor('the oldest closed past the cap', () => closedByServer >= 1100 - MAX_ADMIN_CONNECTIONS - 1);
      // The ones left are cut off once their headers are late.
      await waitFor('the trickling connections timed out', () => closedByServer === 1100, HEADERS_TIMEOUT_MS + 20_000, 200);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it('an absolute-form request target is served by its path', async () => {
    expect(await raw('GET http://127.0.0.1/healthz HTTP/1.1\r\nHost: a\r\n\r\n')).to.match(/^HTTP\/1\.1 200/);
  });
});
