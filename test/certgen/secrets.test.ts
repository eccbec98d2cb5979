import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import { makeCertificates } from '../../src/certgen/certgen.js';
import { CLIENT_SECRET, SERVER_SECRET, applySecrets, writeSecretManifests } from '../../src/certgen/secrets.js';
import { KubeClient } from '../../src/kube/client.js';
import { readTlsSecret } from '../../src/model/tls.js';
import type { Secret } from '../../src/objects/kube.js';
import { validateObject } from '../../src/model/validation/validate.js';
import { FakeApiServer } from '../support/fake-apiserver.js';

describe('certgen/secrets: the certificates as Kubernetes Secrets', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-certgen-secrets-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--format secrets writes two kubernetes.io/tls Secrets with ca.crt, valid, each key matching its certificate', async () => {
    const files = writeSecretManifests(await makeCertificates({ hosts: [], days: 1 }), 'splitplane', dir, false);
    expect(files.map((f) => path.basename(f))).to.deep.equal([`${SERVER_SECRET}.yaml`, `${CLIENT_SECRET}.yaml`]);
    for (const file of files) {
      const secret = load(fs.readFileSync(file, 'utf8')) as Secret;
      expect(secret.metadata.namespace).to.equal('splitplane');
      expect(validateObject(secret).valid).to.equal(true);
      expect(readTlsSecret(secret, 'splitplane', secret.metadata.name).ok, file).to.equal(true);
      expect(Object.keys(secret.data!).sort()).to.deep.equal(['ca.crt', 'tls.crt', 'tls.key']);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    }
  });

  it('--format secrets never writes through a link: a planted link is refused, and with --force replaced', async () => {
    const target = path.join(dir, 'target.yaml');
    const out = path.join(dir, 'out');
    fs.mkdirSync(out, { mode: 0o700 });
    fs.symlinkSync(target, path.join(out, `${SERVER_SECRET}.yaml`));
    const set = await makeCertificates({ hosts: [], days: 1 });
    expect(() => writeSecretManifests(set, 'splitplane', out, false)).to.throw(/exists: pass --force/);
    writeSecretManifests(set, 'splitplane', out, true);
    expect(fs.existsSync(target)).to.equal(false);
    expect(fs.lstatSync(path.join(out, `${SERVER_SECRET}.yaml`)).isFile()).to.equal(true);
  });

  it('--kube creates both Secrets, keeps them when run again, and replaces them with --force', async () => {
    const api = new FakeApiServer();
    await api.start();
    try {
      const config = new KubeConfig();
      config.loadFromFile(api.writeKubeconfig(dir));
      const client = new KubeClient(config);
      const make = () => makeCertificates({ hosts: ['splitplane.splitplane.svc'], days: 1 });
      expect(await applySecrets(client, make, 'splitplane', false)).to.match(/^created/);
      const first = api.get('Secret', 'splitplane', SERVER_SECRET)!.data['tls.crt'];
      expect(api.get('Secret', 'splitplane', CLIENT_SECRET)).to.not.equal(undefined);
      expect(await applySecrets(client, make, 'splitplane', false)).to.match(/kept/);
      expect(api.get('Secret', 'splitplane', SERVER_SECRET)!.data['tls.crt']).to.equal(first);
      expect(await applySecrets(client, make, 'splitplane', true)).to.match(/^replaced Secrets/);
      expect(api.get('Secret', 'splitplane', SERVER_SECRET)!.data['tls.crt']).to.not.equal(first);
    } finally {
      await api.stop();
    }
  });
});
