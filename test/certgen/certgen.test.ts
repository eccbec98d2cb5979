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

  it('makes --out 0700 and refuses a folder other users can write', async () => {
    const out = path.join(dir, 'new');
    await certgen({ out, hosts: [], days: 1, force: false });
    expect(fs.statSync(out).mode & 0o777).to.equal(0o700);
    expect(fs.statSync(path.join(out, 'ca.key')).mode & 0o777).to.equal(0o600);
    const open = path.join(dir, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    await certgen({ out: open, hosts: [], days: 1, force: false }).then(
      () => expect.fail('wrote into a world-writable folder'),
      (error: Error) => expect(error.message).to.match(/can be written by other users \(mode 777\)/),
    );
  });

  it('a dangling link at ca.key: refused without --force; with --force the link is replaced and its target never written', async () => {
    const target = path.join(dir, 'elsewhere', 'stolen.key');
    fs.mkdirSync(path.dirname(target));
    const out = path.join(dir, 'out');
    fs.mkdirSync(out, { mode: 0o700 });
    fs.symlinkSync(target, path.join(out, 'ca.key'));
    await certgen({ out, hosts: [], days: 1, force: false }).then(
      () => expect.fail('wrote past a link'),
      (error: Error) => expect(error.message).to.contain('ca.key exists'),
    );
    expect(fs.existsSync(target)).to.equal(false);
    await certgen({ out, hosts: [], days: 1, force: true });
    expect(fs.existsSync(target), 'the key never reaches the link target').to.equal(false);
    expect(fs.lstatSync(path.join(out, 'ca.key')).isFile()).to.equal(true);
  });

  it('--force with a link to an unrelated file: the file is untouched, the link replaced', async () => {
    const unrelated = path.join(dir, 'precious.txt');
    fs.writeFileSync(unrelated, 'keep me');
    const out = path.join(dir, 'out');
    fs.mkdirSync(out, { mode: 0o700 });
    fs.symlinkSync(unrelated, path.join(out, 'server.crt'));
    await certgen({ out, hosts: [], days: 1, force: true });
    expect(fs.readFileSync(unrelated, 'utf8')).to.equal('keep me');
    expect(fs.readFileSync(path.join(out, 'server.crt'), 'utf8')).to.contain('BEGIN CERTIFICATE');
  });

  it('--force over a ca.key another user created: a new file of ours (0600), not a write into theirs', async () => {
    const out = path.join(dir, 'out');
    fs.mkdirSync(out, { mode: 0o700 });
    const planted = path.join(out, 'ca.key');
    fs.writeFileSync(planted, '', { mode: 0o644 });
    const theirs = fs.statSync(planted);
    // As root the test can give the file away; otherwise it is ours already and the inode check still holds.
    if (process.getuid?.() === 0) fs.chownSync(planted, 65534, 65534);
    const held = fs.openSync(planted, 'r'); // what the other user keeps open to read the key
    try {
      await certgen({ out, hosts: [], days: 1, force: true });
      const now = fs.statSync(planted);
      expect(now.ino, 'a new file').to.not.equal(theirs.ino);
      expect(now.uid).to.equal(process.getuid?.());
      expect(now.mode & 0o777).to.equal(0o600);
      expect(fs.readFileSync(held, 'utf8'), 'nothing reaches the file they hold').to.equal('');
    } finally {
      fs.closeSync(held);
    }
  });

  it('--host takes DNS names and IP addresses only', () => {
    for (const good of ['splitplane.splitplane.svc', 'a', '*.example.com', '10.1.2.3', '::1', 'xn--bcher-kva.example', 'host.example.']) {
      expect(parseCertgenArgs(['--out', '/x', '--host', good]).hosts, good).to.deep.equal([good]);
    }
    for (const [bad, why] of [
      ['', /empty/],
      ['has space', /label "has space"/],
      ['evil\nname', /is not 1-63 letters/],
      ['-lead.example', /not starting or ending with a hyphen/],
      ['a..b', /empty label/],
      [`${'a'.repeat(64)}.example`, /1-63/],
      ['a.'.repeat(130), /at most 253/],
    ] as const) {
      expect(() => parseCertgenArgs(['--out', '/x', '--host', bad]), JSON.stringify(bad)).to.throw(CertgenError, why);
    }
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
