import { expect } from 'chai';
import { DiagnosticSink } from '../../src/model/diagnostics.js';
import type { Secret } from '../../src/model/kube-types.js';
import { readTlsSecret, tlsHosts } from '../../src/model/tls.js';
import type { SecretModel } from '../../src/model/types.js';
import { ingress } from '../support/fixtures.js';
import { selfSignedCertificate, tlsSecret } from '../support/manifests.js';

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
    const plain = readTlsSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': a.certificate, 'tls.key': a.key } }, 'default', 's');
    expect(plain.ok, 'stringData').to.equal(true);
  });

  it('tlsHosts: a host per entry, hosts from the rules when none are listed, the older Ingress keeps a host', () => {
    const secrets = new Map([['default/a', secret('a', a.certificate, a.key)], ['default/b', secret('b', b.certificate, b.key)]]);
    const first = { ...ingress({ name: 'first', host: 'a.test' }), spec: { ...ingress({ host: 'a.test' }).spec, tls: [{ secretName: 'a' }, { hosts: ['b.test'], secretName: 'missing' }] } };
    const second = { ...ingress({ name: 'second', host: 'a.test' }), spec: { ...ingress({ host: 'a.test' }).spec, tls: [{ hosts: ['a.test', 'B..test'], secretName: 'b' }] } };
    const taken = new Map();
    const out = new Map<string, SecretModel>();
    const s1 = new DiagnosticSink({ kind: 'Ingress', namespace: 'default', name: 'first' });
    const s2 = new DiagnosticSink({ kind: 'Ingress', namespace: 'default', name: 'second' });
    expect(tlsHosts(first, { kind: 'Ingress', namespace: 'default', name: 'first' }, secrets, taken, out, s1)).to.deep.equal([{ host: 'a.test', secret: 'default/a' }]);
    expect(s1.items.map((d) => [d.severity, d.field])).to.deep.equal([['warning', 'spec.tls[1].secretName']]);
    expect(tlsHosts(second, { kind: 'Ingress', namespace: 'default', name: 'second' }, secrets, taken, out, s2)).to.deep.equal([]);
    expect(s2.items.map((d) => d.field)).to.deep.equal(['spec.tls[0].hosts[0]', 'spec.tls[0].hosts[1]']);
    expect([...out.keys()]).to.deep.equal(['default/a']);
  });
});
