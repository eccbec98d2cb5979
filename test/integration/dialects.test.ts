// Every weight dialect and the Ingress semantics, through a real Envoy: ACK service-weight and
// service-match, ingress-nginx canaries (several per path), the sticky cookie, path types, wildcard
// hosts, the default backend, IngressClass filtering and HTTPS with SNI. Shares are checked with
// binomial bounds (5 sigma), never exact alternation.

import { expect } from 'chai';
import { httpsGet } from '../support/https.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from '../../src/app.js';
import { startEnvoy, type EnvoyProcess } from '../../src/local/envoy.js';
import { rejections } from '../support/envoy-stats.js';
import { freePort, get, REQUEST_TIMEOUT_MS, startBackend, tally, type Backend } from '../../src/local/http.js';
import { waitFor } from '../../src/local/wait.js';
import { PUSH_ORDER, SHORT_NAME } from '../../src/proto/type-urls.js';
import { loopbackEndpointSlice, ingressManifest, selfSignedCertificate, loopbackService, tlsSecret, writeObject, type Obj } from '../support/fixtures.js';
import { converged, startSplitplane, waitForRollout } from '../support/splitplane.js';
import { withinBinomial } from '../support/stats.js';

const NGINX = 'nginx.ingress.kubernetes.io/';

function expectShare(counts: Map<string, number>, body: string, n: number, p: number): void {
  const [low, high] = withinBinomial(n, p);
  expect(counts.get(body) ?? 0, `${body} of ${n} (expected ${p * 100}%): ${JSON.stringify(Object.fromEntries(counts))}`).to.be.within(low, high);
}

for (const protocol of ['sotw', 'delta'] as const)
  describe(`integration: every dialect through a real Envoy (${protocol === 'sotw' ? 'State of the World' : 'Delta xDS, routes per host'}) @envoy`, function () {
    this.timeout(180_000);
    const names = ['a', 'b', 'c'];
    const backends: Record<string, Backend> = {};
    const certificates: Record<string, { certificate: string; key: string }> = {};
    let dir: string;
    let app: App;
    let envoy: EnvoyProcess;
    let httpPort: number;
    let httpsPort: number;

    const ingresses: Record<string, Obj> = {
      ack: ingressManifest(
        'ack',
        'ack.test',
        names.map((service) => ({ service })),
        { [`${NGINX}service-weight`]: 'a: 20, b: 60' },
      ),
      'ack-match': ingressManifest(
        'ack-match',
        'match.test',
        names.map((service) => ({ service })),
        { [`${NGINX}service-match`]: 'b: header("x-ver", /^v2$/)\nc: query("ver", "3")' },
      ),
      'canary-main': ingressManifest('canary-main', 'canary.test', [{ service: 'a' }]),
      'canary-b': ingressManifest('canary-b', 'canary.test', [{ service: 'b' }], {
        [`${NGINX}canary`]: 'true',
        [`${NGINX}canary-weight`]: '20',
        [`${NGINX}canary-by-header`]: 'x-canary',
        [`${NGINX}canary-by-cookie`]: 'canary-cookie',
      }),
      'canary-c': ingressManifest('canary-c', 'canary.test', [{ service: 'c' }], {
        [`${NGINX}canary`]: 'true',
        [`${NGINX}canary-weight`]: '30',
        [`${NGINX}canary-by-header`]: 'x-c',
        [`${NGINX}canary-by-header-pattern`]: '^(beta|gamma)$',
      }),
      'value-main': ingressManifest('value-main', 'value.test', [{ service: 'a' }]),
      'value-canary': ingressManifest('value-canary', 'value.test', [{ service: 'b' }], {
        [`${NGINX}canary`]: 'true',
        [`${NGINX}canary-by-header`]: 'x-v',
        [`${NGINX}canary-by-header-value`]: 'yes',
      }),
      sticky: ingressManifest(
        'sticky',
        'sticky.test',
        names.map((service) => ({ service })),
        { 'splitplane.io/sticky-cookie': 'sp-version', 'splitplane.io/sticky-max-age': '600' },
      ),
      paths: ingressManifest('paths', 'paths.test', [
        { path: '/foo', pathType: 'Prefix', service: 'b' },
        { path: '/foo', pathType: 'Exact', service: 'a' },
        { path: '/', pathType: 'Prefix', service: 'c', portName: 'http' },
      ]),
      wildcard: ingressManifest('wildcard', '*.wild.test', [{ service: 'a' }]),
      'other-class': ingressManifest('other-class', 'other.test', [{ service: 'a' }], {}, { ingressClassName: 'nginx' }),
      'ours-by-class': ingressManifest('ours-by-class', 'class.test', [{ service: 'b' }], {}, { ingressClassName: 'splitplane' }),
      default: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'default', namespace: 'default' },
        spec: { defaultBackend: { service: { name: 'default-http-backend', port: { number: 80 } } } },
      },
      secure: ingressManifest(
        'secure',
        'secure-a.test',
        [{ service: 'a' }],
        {},
        {
          tls: [
            { hosts: ['secure-a.test'], secretName: 'secure-a' },
            { hosts: ['secure-b.test'], secretName: 'secure-b' },
          ],
        },
      ),
      'secure-b': ingressManifest('secure-b', 'secure-b.test', [{ service: 'b' }], { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' }),
    };

    before(async () => {
      for (const n of names) backends[n] = await startBackend(n);
      backends.default = await startBackend('default backend', 404);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-dialects-'));
      for (const n of names) writeObject(dir, `svc-${n}`, [loopbackService(n), loopbackEndpointSlice(n, backends[n]!.port)]);
      writeObject(dir, 'svc-default', [loopbackService('default-http-backend'), loopbackEndpointSlice('default-http-backend', backends.default.port)]);
      for (const host of ['secure-a', 'secure-b']) {
        certificates[host] = selfSignedCertificate(`${host}.test`);
        writeObject(dir, `secret-${host}`, tlsSecret(host, certificates[host].certificate, certificates[host].key));
      }
      for (const [file, obj] of Object.entries(ingresses)) writeObject(dir, `ingress-${file}`, obj);
      httpPort = await freePort();
      httpsPort = await freePort();
      app = await startSplitplane(dir, httpPort, httpsPort);
      envoy = await startEnvoy({ xdsPort: app.xdsPort, adminPort: await freePort(), protocol });
      await waitFor(
        'Envoy to ACK everything',
        () => converged(app) && app.ads.list().some((s) => s.stream.types['type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret'].ackedVersion),
        30_000,
      );
      await waitFor('the first answer', async () => (await tally(httpPort, 'canary.test', 1)).size === 1, 30_000);
    });

    after(async () => {
      await envoy?.stop();
      await app?.stop();
      for (const b of Object.values(backends)) await b.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('the model has no errors for the test manifests', () => {
      expect(app.controller.diagnostics().filter((d) => d.severity === 'error')).to.deep.equal([]);
    });

    it('ACK service-weight "a: 20, b: 60" with c unnamed (weighs 100): 20/60/100 of 1,800 requests', async () => {
      const n = 1800;
      const counts = await tally(httpPort, 'ack.test', n);
      expectShare(counts, 'a', n, 20 / 180);
      expectShare(counts, 'b', n, 60 / 180);
      expectShare(counts, 'c', n, 100 / 180);
    });

    it('ACK service-match: a matching header or query goes to its version, everything else to the rest', async () => {
      expect(Object.fromEntries(await tally(httpPort, 'match.test', 60, 8, '/', { 'x-ver': 'v2' }))).to.deep.equal({ b: 60 });
      expect(Object.fromEntries(await tally(httpPort, 'match.test', 60, 8, '/?ver=3'))).to.deep.equal({ c: 60 });
      expect(Object.fromEntries(await tally(httpPort, 'match.test', 60, 8, '/', { 'x-ver': 'v2x' }))).to.deep.equal({ a: 60 });
      expect(Object.fromEntries(await tally(httpPort, 'match.test', 60))).to.deep.equal({ a: 60 });
    });

    it('a main Ingress with two canary Ingresses: 50/20/30 of 1,500 requests', async () => {
      const n = 1500;
      const counts = await tally(httpPort, 'canary.test', n);
      expectShare(counts, 'a', n, 0.5);
      expectShare(counts, 'b', n, 0.2);
      expectShare(counts, 'c', n, 0.3);
    });

    it('canary-by-header: always → canary, never → main, any other value falls through to the weights', async () => {
      expect(Object.fromEntries(await tally(httpPort, 'canary.test', 60, 8, '/', { 'x-canary': 'always' }))).to.deep.equal({ b: 60 });
      expect(Object.fromEntries(await tally(httpPort, 'canary.test', 60, 8, '/', { 'x-canary': 'never' }))).to.deep.equal({ a: 60 });
      const n = 600;
      const other = await tally(httpPort, 'canary.test', n, 8, '/', { 'x-canary': 'maybe' });
      expectShare(other, 'a', n, 0.5);
      expectShare(other, 'b', n, 0.2);
    });

    it('canary-by-header-pattern (RE2): a matching value → canary; a value outside the pattern falls through', async () => {
      expect(Object.fromEntries(await tally(httpPort, 'canary.test', 60, 8, '/', { 'x-c': 'gamma' }))).to.deep.equal({ c: 60 });
      const n = 600;
      const other = await tally(httpPort, 'canary.test', n, 8, '/', { 'x-c': 'delta' });
      expectShare(other, 'c', n, 0.3);
    });

    it('canary-by-header-value: only that value selects the canary; "always" is then an ordinary value', async () => {
      expect(Object.fromEntries(await tally(httpPort, 'value.test', 60, 8, '/', { 'x-v': 'yes' }))).to.deep.equal({ b: 60 });
      expect(Object.fromEntries(await tally(httpPort, 'value.test', 60, 8, '/', { 'x-v': 'always' }))).to.deep.equal({ a: 60 });
    });

    it('canary-by-cookie: always → canary, never → main', async () => {
      expect(Object.fromEntries(await tally(httpPort, 'canary.test', 60, 8, '/', { cookie: 'x=1; canary-cookie=always; y=2' }))).to.deep.equal({ b: 60 });
      expect(Object.fromEntries(await tally(httpPort, 'canary.test', 60, 8, '/', { cookie: 'canary-cookie=never' }))).to.deep.equal({ a: 60 });
    });

    it('precedence is header, then cookie, then weight', async () => {
      expect(Object.fromEntries(await tally(httpPort, 'canary.test', 60, 8, '/', { 'x-canary': 'never', cookie: 'canary-cookie=always' }))).to.deep.equal({
        a: 60,
      });
      expect(Object.fromEntries(await tally(httpPort, 'canary.test', 60, 8, '/', { 'x-c': 'beta', cookie: 'canary-cookie=always' }))).to.deep.equal({ c: 60 });
      expect(Object.fromEntries(await tally(httpPort, 'canary.test', 60, 8, '/', { 'x-canary': 'maybe', cookie: 'canary-cookie=always' }))).to.deep.equal({
        b: 60,
      });
    });

    it('sticky cookie: the first response names a version, 50 requests carrying it all reach it; at weight 0 they are split again', async () => {
      const first = await get(httpPort, 'sticky.test');
      const cookie = first.cookies.find((c) => c.startsWith('sp-version='));
      expect(cookie, `Set-Cookie of the first response: ${JSON.stringify(first.cookies)}`).to.match(
        /^sp-version=[abc]; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/,
      );
      const version = /^sp-version=([abc])/.exec(cookie!)![1]!;
      expect(first.body).to.equal(version);
      const carried = { cookie: `sp-version=${version}` };
      expect(Object.fromEntries(await tally(httpPort, 'sticky.test', 50, 8, '/', carried))).to.deep.equal({ [version]: 50 });

      const before = app.cache.current();
      writeObject(
        dir,
        'ingress-sticky',
        ingressManifest(
          'sticky',
          'sticky.test',
          names.map((service) => ({ service })),
          {
            'splitplane.io/sticky-cookie': 'sp-version',
            'splitplane.io/sticky-max-age': '600',
            [`ingress.aliyun.weight/${version}`]: '0',
          },
        ),
      );
      await waitForRollout(app, before);
      const n = 400;
      const resplit = await tally(httpPort, 'sticky.test', n, 8, '/', carried);
      const others = names.filter((x) => x !== version);
      expect(resplit.get(version!) ?? 0).to.equal(0);
      for (const other of others) expectShare(resplit, other, n, 0.5);
      const again = await get(httpPort, 'sticky.test', '/', REQUEST_TIMEOUT_MS, carried);
      expect(
        again.cookies.some((c) => c.startsWith(`sp-version=${again.body};`)),
        'a re-split request gets a new cookie',
      ).to.equal(true);
    });

    it('path types: Exact before Prefix, Prefix element-wise, longest path first', async () => {
      const body = async (p: string) => (await get(httpPort, 'paths.test', p)).body;
      expect(await body('/foo')).to.equal('a');
      expect(await body('/foo/bar')).to.equal('b');
      expect(await body('/foo/')).to.equal('b');
      expect(await body('/foobar')).to.equal('c');
      expect(await body('/')).to.equal('c');
    });

    it('a wildcard host matches exactly one label; deeper names and the bare domain go to the default backend', async () => {
      expect((await get(httpPort, 'x.wild.test')).body).to.equal('a');
      expect((await get(httpPort, 'x.wild.test:8080')).body).to.equal('a');
      const deeper = await get(httpPort, 'a.b.wild.test');
      expect([deeper.status, deeper.body]).to.deep.equal([404, 'default backend']);
      const bare = await get(httpPort, 'wild.test');
      expect([bare.status, bare.body]).to.deep.equal([404, 'default backend']);
    });

    it('IngressClass: another class is not served; ours by ingressClassName is', async () => {
      expect((await get(httpPort, 'other.test')).body).to.equal('default backend');
      expect((await get(httpPort, 'class.test')).body).to.equal('b');
    });

    it('HTTPS: each SNI host gets its own certificate, delivered over SDS, and its own routes', async () => {
      for (const [host, expected] of [
        ['secure-a.test', 'a'],
        ['secure-b.test', 'b'],
      ] as const) {
        const reply = await httpsGet(httpsPort, host);
        expect(reply.subject, `certificate served for ${host}`).to.equal(host);
        expect(reply.body).to.equal(expected);
      }
      const listener = app.cache.current()!.type('type.googleapis.com/envoy.config.listener.v3.Listener').resources.get('ingress_https');
      expect(JSON.stringify(listener?.body)).to.not.include('PRIVATE KEY');
    });

    it('HTTP to a host with a certificate is a 308 to the same URL on HTTPS, unless its Ingress opts out', async () => {
      const reply = await get(httpPort, 'secure-a.test', '/some/path?q=1');
      expect(reply.status).to.equal(308);
      expect(reply.headers.location).to.equal(`https://secure-a.test:${httpsPort}/some/path?q=1`);
      // Envoy takes :scheme from x-forwarded-proto: a request a load balancer already took over HTTPS is
      // served, as ingress-nginx does with use-forwarded-headers.
      expect(await get(httpPort, 'secure-a.test', '/', REQUEST_TIMEOUT_MS, { 'x-forwarded-proto': 'https' })).to.include({ status: 200, body: 'a' });
      // The redirect matches plain HTTP only: the same routes on HTTPS serve.
      expect((await httpsGet(httpsPort, 'secure-a.test')).body).to.equal('a');
      // ssl-redirect: "false" on the Ingress of secure-b.test keeps plain HTTP serving there.
      expect(await get(httpPort, 'secure-b.test')).to.include({ status: 200, body: 'b' });
      // Hosts without a certificate are not redirected.
      expect((await get(httpPort, 'class.test')).status).to.equal(200);
    });

    it('no private key appears in any /debug output', async () => {
      for (const page of ['/debug/snapshot', '/debug/diagnostics', '/debug/streams', '/metrics']) {
        const text = await (await fetch(`http://127.0.0.1:${app.adminPort}${page}`)).text();
        expect(text, page).to.not.include('PRIVATE KEY');
        for (const { key } of Object.values(certificates)) {
          const body = key
            .split('\n')
            .filter((l) => l && !l.startsWith('-----'))
            .join('');
          expect(text.replace(/\\n|\n/g, ''), page).to.not.include(body.slice(0, 40));
        }
      }
      const snapshot = (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/snapshot`)).json()) as Record<
        string,
        { resources: Array<{ name: string }> }
      >;
      expect(snapshot.SDS!.resources.map((r) => r.name)).to.deep.equal(['default/secure-a', 'default/secure-b']);
    });

    it('Envoy never rejected a configuration and splitplane saw no NACK', async () => {
      const stats = await envoy.stats();
      expect(rejections(stats), envoy.logTail()).to.deep.equal({});
      for (const t of PUSH_ORDER) expect(app.metrics.value('splitplane_xds_nacks_total', { type: SHORT_NAME[t] }), SHORT_NAME[t]).to.equal(0);
    });
  });
