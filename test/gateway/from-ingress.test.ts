// translate --to-gateway-api as tables: what each Ingress feature becomes, what cannot be said is a
// warning, and what it prints is served by splitplane without a diagnostic (the traffic equivalence is
// test/integration/to-gateway-api.test.ts).

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { parseTranslateArgs, runTranslate, translateManifests } from '../../src/cli/translate.js';
import { ingressManifest, selfSignedCertificate, tlsSecret } from '../support/fixtures.js';
import type { Json } from '../support/json.js';

function convert(objects: Json[], flags: string[] = []): { docs: Json[]; text: string; warnings: string; code: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-to-gateway-'));
  try {
    fs.writeFileSync(path.join(dir, 'in.yaml'), objects.map((o) => dump(o)).join('---\n'));
    let text = '';
    let warnings = '';
    const code = runTranslate(
      parseTranslateArgs(['--to-gateway-api', '-f', dir, ...flags]),
      (t) => (text += t),
      (t) => (warnings += t),
    );
    return { docs: (loadAll(text) as Json[]).filter(Boolean), text, warnings, code };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const routes = (docs: Json[]) => docs.filter((d) => d.kind === 'HTTPRoute');
const both = [{ service: 'old-nginx' }, { service: 'new-nginx' }];

describe('gateway/from-ingress: translate --to-gateway-api', () => {
  it('the seed: a Gateway of the splitplane class on the HTTP port and an HTTPRoute with the same weights', () => {
    const { docs, code } = convert([ingressManifest('echo', 'mini-echo.io', both, { 'ingress.aliyun.weight/new-nginx': '50' })]);
    expect(code).to.equal(0);
    expect(docs.map((d) => d.kind)).to.deep.equal(['GatewayClass', 'Gateway', 'HTTPRoute']);
    expect(docs[1].spec.listeners).to.deep.equal([{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }]);
    expect(routes(docs)[0].spec).to.deep.equal({
      parentRefs: [{ name: 'splitplane', sectionName: 'http' }],
      hostnames: ['mini-echo.io'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [
            { name: 'old-nginx', port: 80, weight: 5000 },
            { name: 'new-nginx', port: 80, weight: 5000 },
          ],
        },
      ],
    });
  });

  it('path types: Exact stays Exact, Prefix is PathPrefix without the trailing slash, ImplementationSpecific a regex (a plain prefix)', () => {
    const paths = [
      { service: 'old-nginx', path: '/exact', pathType: 'Exact' },
      { service: 'old-nginx', path: '/api/', pathType: 'Prefix' },
      { service: 'old-nginx', path: '/legacy', pathType: 'ImplementationSpecific' },
    ];
    const { docs } = convert([ingressManifest('paths', 'p.example', paths)]);
    expect(routes(docs)[0].spec.rules.map((r: Json) => r.matches[0].path)).to.deep.equal([
      { type: 'Exact', value: '/exact' },
      { type: 'PathPrefix', value: '/api' },
      { type: 'RegularExpression', value: '/legacy.*' },
    ]);
  });

  it('HTTPS: a listener per host with its Secret, a ReferenceGrant for a Secret in another namespace, and ssl-redirect as a RequestRedirect', () => {
    const cert = selfSignedCertificate('secure.example');
    const secure = { ...ingressManifest('secure', 'secure.example', both), metadata: { name: 'secure', namespace: 'shop' } } as Json;
    secure.spec.tls = [{ hosts: ['secure.example'], secretName: 'cert' }];
    const secret = { ...tlsSecret('cert', cert.certificate, cert.key), metadata: { name: 'cert', namespace: 'shop' } };
    const { docs } = convert([secure, secret], ['--gateway-namespace', 'gateways']);
    const gateway = docs.find((d) => d.kind === 'Gateway');
    expect(gateway.metadata.namespace).to.equal('gateways');
    expect(gateway.spec.listeners[1]).to.deep.include({ name: 'https-0', hostname: 'secure.example', port: 443, protocol: 'HTTPS' });
    expect(gateway.spec.listeners[1].tls.certificateRefs).to.deep.equal([{ kind: 'Secret', name: 'cert', namespace: 'shop' }]);
    expect(docs.find((d) => d.kind === 'ReferenceGrant')).to.deep.include({ metadata: { name: 'splitplane-certificates', namespace: 'shop' } });
    const [plain, https] = routes(docs);
    expect(plain.spec.parentRefs).to.deep.equal([{ name: 'splitplane', namespace: 'gateways', sectionName: 'http' }]);
    expect(plain.spec.rules[0].filters).to.deep.equal([{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }]);
    expect(https.spec.parentRefs).to.deep.equal([{ name: 'splitplane', namespace: 'gateways', sectionName: 'https-0' }]);
  });

  it('what Gateway API cannot say is a comment and a warning: the sticky cookie, a one-label wildcard, an automated rollout', () => {
    const { text, warnings } = convert([
      ingressManifest('sticky', 's.example', both, { 'splitplane.io/sticky-cookie': 'v' }),
      ingressManifest('wild', '*.w.example', [{ service: 'old-nginx' }]),
      ingressManifest('walk', 'r.example', both, { 'splitplane.io/rollout': 'new-nginx; steps=10,100' }),
    ]);
    for (const what of ['sticky cookie v', 'wildcard host *.w.example', 'splitplane.io/rollout is not carried over']) {
      expect(text, what).to.include(what);
      expect(warnings, what).to.include(what);
    }
  });

  it('the default backend: a route for every other host, and a last / rule on hosts that leave paths to it', () => {
    const withDefault = { ...ingressManifest('site', 'site.example', [{ service: 'old-nginx', path: '/app', pathType: 'Prefix' }]) } as Json;
    withDefault.spec.defaultBackend = { service: { name: 'default-http-backend', port: { number: 80 } } };
    const { docs } = convert([withDefault]);
    const [any, site] = routes(docs);
    expect(any.spec.hostnames).to.equal(undefined);
    expect(any.spec.rules[0].backendRefs[0].name).to.equal('default-http-backend');
    expect(site.spec.rules.map((r: Json) => `${r.matches[0].path.value} ${r.backendRefs[0].name}`)).to.deep.equal(['/app old-nginx', '/ default-http-backend']);
  });

  it('its output, read back, is served without a diagnostic', () => {
    const { text } = convert([
      ingressManifest('echo', 'mini-echo.io', both, { 'ingress.aliyun.weight/new-nginx': '30' }),
      ingressManifest('canary', 'mini-echo.io', [{ service: 'new-nginx' }], {
        'nginx.ingress.kubernetes.io/canary': 'true',
        'nginx.ingress.kubernetes.io/canary-by-header': 'x-b',
      }),
    ]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-to-gateway-back-'));
    try {
      fs.writeFileSync(path.join(dir, 'gw.yaml'), text);
      const back = translateManifests([dir], { ingressClass: 'splitplane', httpPort: 8080, httpsPort: 8443 });
      expect(back.diagnostics.filter((d) => !d.message.includes('does not exist'))).to.deep.equal([]);
      expect(back.gatewayStatuses!.routes.map((r) => r.parents[0]!.conditions[0]!.status)).to.deep.equal(['True']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
