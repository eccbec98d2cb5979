import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CertgenError, certgen, parseCertgenArgs } from '../../src/certgen/certgen.js';

describe('certgen', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-certgen-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a CA, a server certificate with its names and a client certificate, signed by the CA', async () => {
    await certgen({ out: dir, hosts: ['splitplane.splitplane.svc', '10.1.2.3'], days: 30, force: false });
    const read = (f: string) => new X509Certificate(fs.readFileSync(path.join(dir, f)));
    const ca = read('ca.crt');
    const server = read('server.crt');
    const client = read('client.crt');
    expect(ca.ca).to.equal(true);
    expect(server.verify(ca.publicKey) && client.verify(ca.publicKey)).to.equal(true);
    expect(server.subjectAltName)
      .to.contain('DNS:splitplane')
      .and.contain('DNS:splitplane.splitplane.svc')
      .and.contain('IP Address:10.1.2.3')
      .and.contain('IP Address:127.0.0.1');
    expect(server.keyUsage).to.include('1.3.6.1.5.5.7.3.1');
    expect(client.keyUsage).to.include('1.3.6.1.5.5.7.3.2');
    expect(new Date(server.validTo).getTime() - Date.now()).to.be.within(29 * 86_400_000, 31 * 86_400_000);
  });

  it('refuses to overwrite without --force', async () => {
    await certgen({ out: dir, hosts: [], days: 1, force: false });
    let error: unknown;
    await certgen({ out: dir, hosts: [], days: 1, force: false }).catch((e) => (error = e));
    expect(error).to.be.instanceOf(CertgenError);
    expect((error as Error).message).to.contain('--force');
    await certgen({ out: dir, hosts: [], days: 1, force: true });
  });

  it('reads its flags, and says what is missing', () => {
    expect(parseCertgenArgs(['--out', '/x', '--host', 'a', '--host=b', '--days', '7', '--force'])).to.deep.equal({
      out: '/x',
      format: 'pem',
      kube: false,
      namespace: 'splitplane',
      hosts: ['a', 'b'],
      days: 7,
      force: true,
    });
    expect(parseCertgenArgs(['--kube', '--namespace', 'ingress'])).to.include({ kube: true, namespace: 'ingress', out: '' });
    expect(() => parseCertgenArgs([])).to.throw(CertgenError, /--out DIR \(or --kube\) is required/);
    expect(() => parseCertgenArgs(['--out', '/x', '--kube'])).to.throw(CertgenError, /give one of them/);
    expect(() => parseCertgenArgs(['--out', '/x', '--format', 'der'])).to.throw(CertgenError, /not pem or secrets/);
    expect(() => parseCertgenArgs(['--out', '/x', '--days', '0'])).to.throw(CertgenError, /--days/);
  });
});
