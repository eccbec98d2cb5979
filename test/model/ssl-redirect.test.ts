import { expect } from 'chai';
import { buildModel } from '../../src/model/build.js';
import { DiagnosticSink } from '../../src/objects/diagnostics.js';
import type { Ingress, Secret } from '../../src/objects/kube.js';
import { parseSslRedirect, servedOnHttps } from '../../src/model/ssl-redirect.js';
import { endpointSlice, ingress, service } from '../support/fixtures.js';
import { selfSignedCertificate, tlsSecret } from '../support/fixtures.js';

const KEY = 'nginx.ingress.kubernetes.io/ssl-redirect';

describe('model/ssl-redirect', () => {
  it('parseSslRedirect: on unless the Ingress says "false"; anything else is an error on the annotation', () => {
    const cases: Array<[string | undefined, boolean | null]> = [
      [undefined, true],
      ['true', true],
      ['True', true],
      ['false', false],
      [' FALSE ', false],
      ['yes', null],
      ['0', null],
      ['', null],
    ];
    for (const [value, expected] of cases) {
      const sink = new DiagnosticSink({ kind: 'Ingress', namespace: 'default', name: 'shop' });
      const parsed = parseSslRedirect(value === undefined ? {} : { [KEY]: value }, sink);
      expect(parsed.ok ? parsed.value : null, JSON.stringify(value)).to.equal(expected);
      expect(
        sink.items.map((d) => [d.severity, d.field]),
        JSON.stringify(value),
      ).to.deep.equal(expected === null ? [['error', `metadata.annotations["${KEY}"]`]] : []);
    }
  });

  it('servedOnHttps: a certificate names the host, or the wildcard one label above it', () => {
    const served = servedOnHttps([
      { host: 'a.test', secret: 'default/a' },
      { host: '*.wild.test', secret: 'default/w' },
    ]);
    const cases: Array<[string, boolean]> = [
      ['a.test', true],
      ['b.test', false],
      ['x.a.test', false],
      ['x.wild.test', true],
      ['y.x.wild.test', false],
      ['wild.test', false],
      ['*.wild.test', true],
      ['*.a.test', false],
      ['*', false],
    ];
    for (const [host, expected] of cases) expect(served(host), host).to.equal(expected);
  });

  it('buildModel: paths on a host with a certificate redirect, unless their own Ingress opts out; the default backend too', () => {
    const certificate = selfSignedCertificate('a.test');
    const withTls = (obj: Ingress): Ingress => ({ ...obj, spec: { ...obj.spec, tls: [{ hosts: ['a.test'], secretName: 'a' }] } });
    const ingresses = [
      withTls(ingress({ name: 'main', host: 'a.test', paths: [{ service: 'web' }] })),
      ingress({ name: 'api', host: 'a.test', annotations: { [KEY]: 'false' }, paths: [{ path: '/api', service: 'api' }] }),
      ingress({ name: 'plain', host: 'b.test', paths: [{ service: 'web' }] }),
      ingress({ name: 'fallback', rules: [], defaultBackend: { service: 'web' } }),
    ];
    const { model, diagnostics } = buildModel({
      ingresses,
      services: [service('web'), service('api')],
      endpointSlices: [endpointSlice('web', ['10.0.0.1'], 80), endpointSlice('api', ['10.0.0.2'], 80)],
      secrets: [tlsSecret('a', certificate.certificate, certificate.key) as unknown as Secret],
      ingressClasses: [],
      ingressClass: 'splitplane',
    });
    expect(diagnostics).to.deep.equal([]);
    const vhost = (host: string) => model.virtualHosts.find((v) => v.host === host)!;
    const redirects = (host: string) => vhost(host).groups.map((g) => [g.source.name, g.path, g.redirectToHttps ?? false]);
    expect(redirects('a.test')).to.deep.equal([
      ['api', '/api', false],
      ['main', '/', true],
    ]);
    expect(redirects('b.test')).to.deep.equal([['plain', '/', false]]);
    expect(vhost('a.test').defaultBackend?.redirectToHttps).to.equal(true);
    // The default backend is shared: marking it for a.test must not redirect b.test or the catch-all.
    expect(vhost('b.test').defaultBackend?.redirectToHttps).to.equal(undefined);
    expect(vhost('*').defaultBackend?.redirectToHttps).to.equal(undefined);
  });
});
