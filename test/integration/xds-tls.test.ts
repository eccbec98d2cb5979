// xDS with TLS and client certificates, end to end: `splitplane certgen` writes the CA and both
// certificates, splitplane serves with them, and a real Envoy with envoy/bootstrap-tls.yaml is served
// and carries traffic. A client without a certificate, or in plain text, gets nothing.

import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApp, type App } from '../../src/app.js';
import { certgen } from '../../src/certgen/certgen.js';
import { DEFAULTS } from '../../src/config.js';
import { envoyBinary, startEnvoy, writeBootstrap, type EnvoyProcess } from '../../src/local/envoy.js';
import { freePort, startBackend, tally, type Backend } from '../../src/local/http.js';
import { localExample, blueGreenIngress, writeIngress } from '../../src/local/example.js';
import { waitFor } from '../../src/local/wait.js';
import { createLogger } from '../../src/log.js';
import { CLUSTER_TYPE } from '../../src/proto/type-urls.js';
import { decodeDiscoveryResponse, encodeDiscoveryRequest, type DecodedResponse } from '../../src/xds/messages.js';
import { SOTW_METHOD_PATH } from '../../src/xds/server.js';
import { converged } from '../support/splitplane.js';
import { load, loadAll } from 'js-yaml';
import { fileURLToPath } from 'node:url';
import type { Json } from '../support/json.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Opens an ADS stream with `credentials`, asks for CDS; resolves with the first answer or the error. */
function tryAds(port: number, credentials: grpc.ChannelCredentials): Promise<DecodedResponse | Error> {
  return new Promise((resolve) => {
    const client = new grpc.Client(`127.0.0.1:${port}`, credentials, { 'grpc.ssl_target_name_override': 'splitplane', 'grpc.default_authority': 'splitplane' });
    const call = client.makeBidiStreamRequest(
      SOTW_METHOD_PATH,
      (r: object) => Buffer.from(encodeDiscoveryRequest(r)),
      (b: Buffer) => decodeDiscoveryResponse(b),
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
    );
    const done = (value: DecodedResponse | Error) => {
      call.cancel();
      client.close();
      resolve(value);
    };
    call.on('data', (r: DecodedResponse) => done(r));
    call.on('error', (e: Error) => done(e));
    call.write({ node: { id: 'probe' }, type_url: CLUSTER_TYPE, resource_names: [] });
  });
}

describe('integration: xDS with TLS and client certificates, through a real Envoy @envoy', function () {
  this.timeout(120_000);
  let certs: string;
  let dir: string;
  let app: App;
  let envoy: EnvoyProcess | undefined;
  let backends: Backend[] = [];
  const lines: string[] = [];

  before(async () => {
    certs = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-certs-'));
    await certgen({ out: certs, hosts: [], days: 2, force: false });
    const old = await startBackend('old');
    const fresh = await startBackend('new');
    const fallback = await startBackend('default backend', 404);
    backends = [old, fresh, fallback];
    dir = localExample({ 'old-nginx': old.port, 'new-nginx': fresh.port, 'default-http-backend': fallback.port });
    writeIngress(dir, blueGreenIngress({ kind: 'weight', percent: '50' }));
    app = await startApp(
      {
        ...DEFAULTS,
        manifests: dir,
        xdsHost: '127.0.0.1',
        xdsPort: await freePort(),
        adminPort: await freePort(),
        httpPort: await freePort(),
        httpsPort: await freePort(),
        xdsTls: { cert: path.join(certs, 'server.crt'), key: path.join(certs, 'server.key'), clientCa: path.join(certs, 'ca.crt') },
      },
      createLogger('info', {}, (l) => lines.push(l)),
    );
  });
  after(async () => {
    await envoy?.stop();
    await app?.stop();
    for (const b of backends) await b.close();
    for (const d of [dir, certs]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('certgen writes keys readable by their owner only, and a chain that verifies', () => {
    for (const key of ['ca.key', 'server.key', 'client.key']) expect(fs.statSync(path.join(certs, key)).mode & 0o777, key).to.equal(0o600);
    const out = execFileSync('openssl', ['verify', '-CAfile', path.join(certs, 'ca.crt'), path.join(certs, 'server.crt'), path.join(certs, 'client.crt')], {
      encoding: 'utf8',
    });
    expect(out).to.contain('server.crt: OK').and.contain('client.crt: OK');
  });

  it('the start-up log says xDS runs with TLS and client certificates', () => {
    expect(lines.some((l) => JSON.parse(l).msg.startsWith('xDS security: TLS'))).to.equal(true);
  });

  it("envoy/bootstrap-tls.yaml, pointed at certgen's files, passes envoy --mode validate", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-bootstrap-tls-'));
    try {
      const file = writeBootstrap(tmp, app.xdsPort, 9901, 'validate', certs);
      expect(execFileSync(envoyBinary(), ['--mode', 'validate', '-c', file, '--disable-hot-restart', '-l', 'error'], { encoding: 'utf8' })).to.contain('OK');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a client without a certificate gets nothing; neither does one speaking plain text', async () => {
    const ca = fs.readFileSync(path.join(certs, 'ca.crt'));
    const noCertificate = await tryAds(app.xdsPort, grpc.credentials.createSsl(ca));
    expect(noCertificate).to.be.instanceOf(Error);
    const plain = await tryAds(app.xdsPort, grpc.credentials.createInsecure());
    expect(plain).to.be.instanceOf(Error);
    // The same probe with the client certificate is answered: the refusals above are the certificate's doing.
    const withCertificate = await tryAds(
      app.xdsPort,
      grpc.credentials.createSsl(ca, fs.readFileSync(path.join(certs, 'client.key')), fs.readFileSync(path.join(certs, 'client.crt'))),
    );
    expect(withCertificate).to.not.be.instanceOf(Error);
    expect((withCertificate as DecodedResponse).resources.length).to.be.greaterThan(0);
  });

  it("an Envoy with the DaemonSet's bootstrap from deploy/ (its TLS settings, certgen's client certificate) is served", async () => {
    const configMap = (loadAll(fs.readFileSync(path.join(repo, 'deploy', 'envoy.yaml'), 'utf8')) as Json[]).find((o) => o?.kind === 'ConfigMap');
    const adminPort = await freePort();
    const daemonSetEnvoy = await startEnvoy({
      xdsPort: app.xdsPort,
      adminPort,
      args: ['--service-node', 'splitplane-envoy-abcde', '--service-cluster', 'splitplane-ingress'],
      bootstrap: (tmp) => {
        // The cluster's names become this machine's: the xDS Service's DNS name, the mounted Secret's path.
        const bootstrap = load(configMap.data['bootstrap.yaml'].split('/etc/splitplane/xds/').join(`${certs}/`)) as Json;
        bootstrap.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address = {
          address: '127.0.0.1',
          port_value: app.xdsPort,
        };
        bootstrap.admin.address.socket_address.port_value = adminPort;
        const file = path.join(tmp, 'bootstrap.yaml');
        fs.writeFileSync(file, JSON.stringify(bootstrap));
        return file;
      },
    });
    try {
      await waitFor(
        'the DaemonSet Envoy to be served',
        () => app.ads.list().some((s) => s.stream.node?.id === 'splitplane-envoy-abcde' && converged(app)),
        60_000,
      );
      expect((await daemonSetEnvoy.stats()).get('cluster.splitplane_xds.ssl.handshake')).to.be.greaterThan(0);
    } finally {
      await daemonSetEnvoy.stop();
    }
  });

  it('a real Envoy with the client certificate is served and splits the traffic', async () => {
    envoy = await startEnvoy({ xdsPort: app.xdsPort, adminPort: await freePort(), nodeId: 'tls-envoy', tlsDir: certs });
    await waitFor('Envoy to ACK everything over TLS', () => converged(app), 60_000);
    const counts = await waitFor(
      'answers from both versions',
      async () => {
        const c = await tally(app.config.httpPort, 'mini-echo.io', 100);
        return (c.get('old') ?? 0) > 0 && (c.get('new') ?? 0) > 0 ? c : undefined;
      },
      30_000,
    );
    expect([...counts.keys()].sort()).to.deep.equal(['new', 'old']);
    const stats = await envoy.stats();
    expect(stats.get('cluster.splitplane_xds.ssl.handshake'), 'TLS handshakes to splitplane').to.be.greaterThan(0);
  });
});
