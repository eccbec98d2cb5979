// `splitplane translate --to-gateway-api` proven by traffic: the annotated Ingresses of every dialect are
// served through a real Envoy and measured; then the folder holds only what the command printed (a
// Gateway and HTTPRoutes) and the same requests are measured again. Each kind of request must land the
// same way: all on one version where the Ingress sent all there, and within binomial 5 sigma of the
// same share where it split.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { dump } from 'js-yaml';
import type { App } from '../../src/app.js';
import { localExample } from '../../src/local/example.js';
import { startEnvoy, type EnvoyProcess } from '../../src/local/envoy.js';
import { freePort, startBackend, tally, type Backend } from '../../src/local/http.js';
import { converged, startSplitplane, waitForRollout } from '../support/splitplane.js';
import { waitFor } from '../../src/local/wait.js';
import { withinBinomial } from '../support/stats.js';
import { ingressManifest } from '../support/fixtures.js';
import { parseTranslateArgs, runTranslate } from '../../src/cli/translate.js';
import { rejections } from '../support/envoy-stats.js';

/** Each kind of request, where it goes: `p` the share of new (1 or 0 for all or none). */
interface Probe {
  host: string;
  headers?: Record<string, string>;
  p: number;
}

const PROBES: Probe[] = [
  { host: 'aliyun.example', p: 0.3 },
  // A version reached through service-match takes no part in the weighted split (the ACK dialect).
  { host: 'ack.example', p: 0 },
  { host: 'ack.example', headers: { 'x-ver': 'v2' }, p: 1 },
  { host: 'canary.example', p: 0.25 },
  { host: 'canary.example', headers: { 'x-canary': 'always' }, p: 1 },
  { host: 'canary.example', headers: { 'x-canary': 'never' }, p: 0 },
  { host: 'canary.example', headers: { cookie: 'a=1; beta=always' }, p: 1 },
];

function ingresses(): object[] {
  const both = [{ service: 'old-nginx' }, { service: 'new-nginx' }];
  return [
    ingressManifest('aliyun', 'aliyun.example', both, { 'ingress.aliyun.weight/new-nginx': '30' }),
    ingressManifest('ack', 'ack.example', both, {
      'nginx.ingress.kubernetes.io/service-weight': 'new-nginx: 20, old-nginx: 60',
      'nginx.ingress.kubernetes.io/service-match': 'new-nginx: header("x-ver", /^v2$/)',
    }),
    ingressManifest('main', 'canary.example', [{ service: 'old-nginx' }]),
    ingressManifest('canary', 'canary.example', [{ service: 'new-nginx' }], {
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '25',
      'nginx.ingress.kubernetes.io/canary-by-header': 'x-canary',
      'nginx.ingress.kubernetes.io/canary-by-cookie': 'beta',
    }),
  ];
}

describe('integration: translate --to-gateway-api gives the same traffic split through a real Envoy @envoy', function () {
  this.timeout(240_000);
  let backends: Record<string, Backend>;
  let dir: string;
  let app: App;
  let envoy: EnvoyProcess;
  let httpPort: number;
  const measured: Record<string, Array<Record<string, number>>> = {};

  before(async () => {
    backends = { old: await startBackend('old'), new: await startBackend('new'), default: await startBackend('default backend', 404) };
    dir = localExample({ 'old-nginx': backends.old!.port, 'new-nginx': backends.new!.port, 'default-http-backend': backends.default!.port });
    fs.rmSync(path.join(dir, 'ingress.yaml'));
    fs.writeFileSync(
      path.join(dir, 'ingresses.yaml'),
      ingresses()
        .map((o) => dump(o))
        .join('---\n'),
    );
    httpPort = await freePort();
    app = await startSplitplane(dir, httpPort);
    envoy = await startEnvoy({ xdsPort: app.xdsPort, adminPort: await freePort() });
    await waitFor('Envoy to serve the Ingresses', () => converged(app), 30_000);
  });

  after(async () => {
    await envoy?.stop();
    await app?.stop();
    for (const b of Object.values(backends ?? {})) await b.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function measure(label: string): Promise<void> {
    for (const probe of PROBES) {
      const key = `${probe.host} ${JSON.stringify(probe.headers ?? {})}`;
      const n = probe.p === 0 || probe.p === 1 ? 100 : 1000;
      const counts = Object.fromEntries(await tally(httpPort, probe.host, n, 8, '/', probe.headers ?? {}));
      (measured[key] ??= []).push(counts);
      const news = counts.new ?? 0;
      if (probe.p === 1) expect(counts, `${label}: ${key}`).to.deep.equal({ new: n });
      else if (probe.p === 0) expect(counts, `${label}: ${key}`).to.deep.equal({ old: n });
      else {
        const [low, high] = withinBinomial(n, probe.p);
        expect(news, `${label}: ${key} ${JSON.stringify(counts)}`).to.be.within(low, high);
        expect(news + (counts.old ?? 0), `${label}: ${key}`).to.equal(n);
      }
    }
  }

  it('the annotated Ingresses of every dialect split as declared', async () => {
    await waitFor('the first answer', async () => (await tally(httpPort, 'aliyun.example', 1)).size === 1, 30_000);
    await measure('Ingress');
  });

  it('what translate --to-gateway-api prints, alone in the folder, splits every kind of request the same way', async () => {
    let printed = '';
    let warnings = '';
    const code = runTranslate(
      parseTranslateArgs(['--to-gateway-api', '-f', dir]),
      (t) => (printed += t),
      (t) => (warnings += t),
    );
    expect(code, warnings).to.equal(0);
    expect(printed).to.match(/^# Gateway API objects equivalent to Ingress default\/ack, Ingress default\/aliyun, Ingress default\/main/);
    const before = app.cache.current();
    fs.writeFileSync(path.join(dir, 'gateway.yaml'), printed);
    fs.rmSync(path.join(dir, 'ingresses.yaml'));
    await waitForRollout(app, before);
    expect(app.controller.diagnostics().filter((d) => d.severity !== 'info')).to.deep.equal([]);
    expect(app.controller.currentModel()!.virtualHosts.every((v) => v.groups.length === 0 && (v.gatewayRoutes ?? []).length > 0)).to.equal(true);
    await measure('Gateway API');
  });

  it('Envoy never rejected either form', async () => {
    expect(rejections(await envoy.stats()), envoy.logTail()).to.deep.equal({});
  });
});
