import { expect } from 'chai';
import { DiagnosticSink } from '../../src/objects/diagnostics.js';
import type { Secret } from '../../src/objects/kube.js';
import { readTlsSecret, tlsHosts } from '../../src/model/tls.js';
import type { SecretModel } from '../../src/model/types.js';
import { ingress } from '../support/fixtures.js';
import { envoyValidates, listenerBootstrap } from '../support/envoy-validate.js';
import { selfSignedCertificate, tlsSecret } from '../support/fixtures.js';

describe('model/tls', () => {
  const a = selfSignedCertificate('a.test');
  const b = selfSignedCertificate('b.test');
  const secret = (name: string, cert: string, key: string) => tlsSecret(name, cert, key) as unknown as Secret;

  it('readTlsSecret: each way a Secret can be unusable is a reason that never quotes the key', () => {
    const cases: Array<[string, Secret | undefined, RegExp]> = [
      ['missing', undefined, /does not exist/],
      ['wrong type', { ...secret('s', a.certificate, a.key), type: 'Opaque' }, /type Opaque/],
      ['no certificate', { ...secret('s', a.certificate, a.key), data: { 'tls.key': 'eA==' } }, /no data\["tls.crt"\]/],
      ['no key', { ...secret('s', a.certificate, a.key), data: { 'tls.crt': Buffer.from(a.certificate).toString('base64') } }, /no data\["tls.key"\]/],
      ['certificate not PEM', secret('s', 'not a certificate', a.key), /not a PEM certificate/],
      ['key not PEM', secret('s', a.certificate, 'not a key'), /not a PEM private key/],
      ['key of another certificate', secret('s', a.certificate, b.key), /not the key of the certificate/],
    ];
    for (const [what, input, reason] of cases) {
      const result = readTlsSecret(input, 'default', 's');
      expect(result.ok, what).to.equal(false);
      if (!result.ok) {
        expect(result.reason, what).to.match(reason);
        expect(result.reason, what).to.not.include('PRIVATE KEY');
      }
    }
    const good = readTlsSecret(secret('s', a.certificate, a.key), 'default', 's');
    expect(good.ok && good.secret.name).to.equal('default/s');
    const plain = readTlsSecret(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': a.certificate, 'tls.key': a.key } },
      'default',
      's',
    );
    expect(plain.ok, 'stringData').to.equal(true);
  });

  it('tlsHosts: a host per entry, hosts from the rules when none are listed, the older Ingress keeps a host', () => {
    const secrets = new Map([
      ['default/a', secret('a', a.certificate, a.key)],
      ['default/b', secret('b', b.certificate, b.key)],
    ]);
    const first = {
      ...ingress({ name: 'first', host: 'a.test' }),
      spec: { ...ingress({ host: 'a.test' }).spec, tls: [{ secretName: 'a' }, { hosts: ['b.test'], secretName: 'missing' }] },
    };
    const second = {
      ...ingress({ name: 'second', host: 'a.test' }),
      spec: { ...ingress({ host: 'a.test' }).spec, tls: [{ hosts: ['a.test', 'B..test'], secretName: 'b' }] },
    };
    const taken = new Map();
    const out = new Map<string, SecretModel>();
    const s1 = new DiagnosticSink({ kind: 'Ingress', namespace: 'default', name: 'first' });
    const s2 = new DiagnosticSink({ kind: 'Ingress', namespace: 'default', name: 'second' });
    expect(tlsHosts(first, { kind: 'Ingress', namespace: 'default', name: 'first' }, secrets, taken, out, s1)).to.deep.equal([
      { host: 'a.test', secret: 'default/a' },
    ]);
    expect(s1.items.map((d) => [d.severity, d.field])).to.deep.equal([['warning', 'spec.tls[1].secretName']]);
    expect(tlsHosts(second, { kind: 'Ingress', namespace: 'default', name: 'second' }, secrets, taken, out, s2)).to.deep.equal([]);
    expect(s2.items.map((d) => d.field)).to.deep.equal(['spec.tls[0].hosts[0]', 'spec.tls[0].hosts[1]']);
    expect([...out.keys()]).to.deep.equal(['default/a']);
  });

  it('readTlsSecret accepts exactly the keys Envoy 1.40 loads (envoy --mode validate on each) @envoy', function () {
    this.timeout(300_000); // key generation and one Envoy run per kind, on a slow machine
    const kinds: Array<[string, string[]]> = [
      ['RSA 1024', ['rsa:1024']],
      ['RSA 2048', ['rsa:2048']],
      ['ECDSA P-256', ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']],
      ['ECDSA P-384', ['ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1']],
      ['ECDSA secp256k1', ['ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1']],
      ['Ed25519', ['ed25519']],
      ['Ed448', ['ed448']],
    ];
    const verdicts = kinds.map(([kind, key]) => {
      const pair = selfSignedCertificate('k.test', key);
      const ours = readTlsSecret(secret('s', pair.certificate, pair.key), 'default', 's');
      const envoy = envoyValidates(
        listenerBootstrap(
          [
            {
              transport_socket: {
                name: 'envoy.transport_sockets.tls',
                typed_config: {
                  '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
                  common_tls_context: {
                    tls_certificates: [{ certificate_chain: { inline_string: pair.certificate }, private_key: { inline_string: pair.key } }],
                  },
                },
              },
              filters: [
                {
                  name: 'envoy.filters.network.tcp_proxy',
                  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 't', cluster: 'c' },
                },
              ],
            },
          ],
          { clusters: [{ name: 'c', type: 'STATIC', load_assignment: { cluster_name: 'c', endpoints: [] } }] },
        ),
      );
      if (!ours.ok) expect(ours.reason, kind).to.match(/Envoy takes RSA keys of 2048 bits or more/);
      return [kind, ours.ok, envoy.ok];
    });
    // Both columns must agree, and the table must hold both verdicts, so the check can fail either way.
    expect(
      verdicts.map(([kind, ours]) => [kind, ours]),
      'ours',
    ).to.deep.equal(verdicts.map(([kind, , envoy]) => [kind, envoy]));
    expect(verdicts.filter(([, ok]) => ok)).to.have.length(4);
  });
});
