// GRPCRoute end to end: a Gateway listener, a GRPCRoute splitting a gRPC service between two backends,
// served to a real Envoy (gRPC clients dial Envoy, which speaks HTTP/2 to the backends) and to proxyless
// grpc-js-xds clients (the gRPC view). Shares are checked with binomial bounds.

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as xds from '@grpc/grpc-js-xds';
import { dump } from 'js-yaml';
import type { App } from '../../src/app.js';
import { startEnvoy, type EnvoyProcess } from '../../src/local/envoy.js';
import { freePort } from '../../src/local/http.js';
import { waitFor } from '../../src/local/wait.js';
import { loopbackEndpointSlice, loopbackService } from '../support/fixtures.js';
import { gateway, gatewayClass, httpRoute, listener } from '../support/gateway-fixtures.js';
import { converged, startSplitplane, waitForRollout } from '../support/splitplane.js';
import { withinBinomial } from '../support/stats.js';
import { METHOD, proxylessClient, startGrpcBackend, tallyRpcs } from '../support/grpc.js';
import { rejections } from '../support/envoy-stats.js';
import type { Json } from '../support/json.js';

const HOST = 'grpc.example';
const SERVICE = 'splitplane.test.Echo';

function grpcRoute(rules: Json[]): Json {
  return httpRoute('echo', { parentRefs: [{ name: 'web' }], hostnames: [HOST], rules }, { kind: 'GRPCRoute' });
}
const ref = (name: string, weight?: number) => ({ name, port: 50051, ...(weight === undefined ? {} : { weight }) });

/** What each RPC of `n` ended with: a backend's name, or `code:N` for a failed one. */
async function outcomes(client: grpc.Client, n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const one = () =>
    new Promise<string>((resolve) => {
      const metadata = new grpc.Metadata();
      for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
      client.makeUnaryRequest(
        METHOD,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        metadata,
        { deadline: Date.now() + 15_000 },
        (error, reply) => resolve(error ? `code:${error.code}` : String(reply)),
      );
    });
  for (let done = 0; done < n; done += 20)
    for (const o of await Promise.all(Array.from({ length: Math.min(20, n - done) }, one))) counts[o] = (counts[o] ?? 0) + 1;
  return counts;
}

describe('integration: GRPCRoute weights through a real Envoy and to proxyless gRPC clients @envoy', function () {
  this.timeout(180_000);
  let dir: string;
  let app: App;
  let envoy: EnvoyProcess;
  let gatewayPort: number;
  let backends: Record<string, { port: number; stop: () => Promise<void> }>;
  let viaEnvoy: grpc.Client;
  let proxyless: grpc.Client;

  const write = (objects: Json[]) => {
    const tmp = path.join(dir, '.route.yaml.tmp');
    fs.writeFileSync(tmp, objects.map((o) => dump(o)).join('---\n'));
    fs.renameSync(tmp, path.join(dir, 'route.yaml'));
  };
  async function apply(objects: Json[]): Promise<void> {
    const before = app.cache.current();
    write(objects);
    await waitForRollout(app, before);
  }

  before(async () => {
    xds.register();
    backends = { old: await startGrpcBackend('old'), new: await startGrpcBackend('new') };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-grpcroute-'));
    gatewayPort = await freePort();
    const objects: Json[] = [gatewayClass(), gateway([listener('grpc', gatewayPort)])];
    for (const [name, b] of Object.entries(backends)) {
      const service = loopbackService(`${name}-grpc`) as Json;
      service.spec.ports = [{ name: 'http', port: 50051, targetPort: 'http', protocol: 'TCP' }];
      objects.push(service, loopbackEndpointSlice(`${name}-grpc`, b.port));
    }
    fs.writeFileSync(path.join(dir, 'cluster.yaml'), objects.map((o) => dump(o)).join('---\n'));
    write([grpcRoute([{ matches: [{ method: { service: SERVICE } }], backendRefs: [ref('old-grpc')] }])]);
    app = await startSplitplane(dir, await freePort());
    envoy = await startEnvoy({ xdsPort: app.xdsPort, adminPort: await freePort() });
    await waitFor('Envoy to take the Gateway', () => converged(app), 30_000);
    viaEnvoy = new grpc.Client(`127.0.0.1:${gatewayPort}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': HOST });
    proxyless = proxylessClient(HOST, app.xdsPort, 'grpc-route-client');
  });

  after(async () => {
    viaEnvoy?.close();
    proxyless?.close();
    await envoy?.stop();
    await app?.stop();
    for (const b of Object.values(backends ?? {})) await b.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('one backend: every RPC through Envoy and every proxyless RPC reaches old', async () => {
    await waitFor('an RPC through Envoy', async () => (await outcomes(viaEnvoy, 1)).old === 1, 30_000);
    expect(await outcomes(viaEnvoy, 100)).to.deep.equal({ old: 100 });
    expect(await tallyRpcs(proxyless, 100)).to.deep.equal({ old: 100 });
  });

  it('weights 1 and 1 on the service: both paths split within 5 sigma of half', async () => {
    await apply([grpcRoute([{ matches: [{ method: { service: SERVICE } }], backendRefs: [ref('old-grpc', 1), ref('new-grpc', 1)] }])]);
    await waitFor('Envoy to take it', () => converged(app), 30_000);
    const [low, high] = withinBinomial(1000, 0.5);
    const envoyCounts = await outcomes(viaEnvoy, 1000);
    expect(envoyCounts.new, JSON.stringify(envoyCounts)).to.be.within(low, high);
    expect(envoyCounts.old! + envoyCounts.new!).to.equal(1000);
    await waitFor('the proxyless client to split', async () => Object.keys(await tallyRpcs(proxyless, 40)).length === 2, 30_000);
    const direct = await tallyRpcs(proxyless, 1000);
    expect(direct.new, JSON.stringify(direct)).to.be.within(low, high);
  });

  it('a method and header match goes to new alone, ahead of the service-wide split', async () => {
    await apply([
      grpcRoute([
        { matches: [{ method: { service: SERVICE } }], backendRefs: [ref('old-grpc')] },
        { matches: [{ method: { service: SERVICE, method: 'Who' }, headers: [{ name: 'x-canary', value: 'yes' }] }], backendRefs: [ref('new-grpc')] },
      ]),
    ]);
    await waitFor('Envoy to take it', () => converged(app), 30_000);
    expect(await outcomes(viaEnvoy, 50, { 'x-canary': 'yes' })).to.deep.equal({ new: 50 });
    expect(await outcomes(viaEnvoy, 50)).to.deep.equal({ old: 50 });
    await waitFor('the proxyless client to route by header', async () => (await tallyRpcs(proxyless, 10, { 'x-canary': 'yes' })).new === 10, 30_000);
  });

  it('a backend that does not exist: its share of RPCs fails UNAVAILABLE through Envoy, the rest reach new', async () => {
    await apply([grpcRoute([{ backendRefs: [ref('new-grpc'), ref('ghost-grpc')] }])]);
    await waitFor('Envoy to take it', () => converged(app), 30_000);
    const counts = await outcomes(viaEnvoy, 1000);
    const [low, high] = withinBinomial(1000, 0.5);
    expect(counts[`code:${grpc.status.UNAVAILABLE}`], JSON.stringify(counts)).to.be.within(low, high);
    expect(counts.new! + counts[`code:${grpc.status.UNAVAILABLE}`]!).to.equal(1000);
    const status = app.controller.gatewayStatuses!.routes[0]!;
    expect(status.parents[0]!.conditions[1]).to.include({ status: 'False', reason: 'BackendNotFound' });
  });

  it('the backend clusters speak HTTP/2, and Envoy never rejected a configuration', async () => {
    const cds = app.cache.current()!.toJSON().CDS!.resources as Json[];
    expect(cds.find((c) => c.name === 'default/new-grpc/50051').typed_extension_protocol_options).to.exist;
    const stats = await envoy.stats();
    expect(rejections(stats), envoy.logTail()).to.deep.equal({});
    expect(['CDS', 'EDS', 'LDS', 'RDS'].map((type) => app.metrics.value('splitplane_xds_nacks_total', { type })).reduce((a, b) => a + b)).to.equal(0);
  });
});
