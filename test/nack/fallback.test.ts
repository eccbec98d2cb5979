// A NACK, end to end: splitplane serving a folder, a client that refuses one EndpointSlice's update.
// The slice falls back to the form the proxy runs with an error carrying Envoy's text, and a later
// change of another Ingress still reaches the proxy (before, make-before-break held it back forever).

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from '../../src/app.js';
import { waitFor } from '../../src/local/wait.js';
import { ENDPOINT_TYPE, ROUTE_TYPE } from '../../src/proto/type-urls.js';
import { AdsClient, names } from '../support/ads-client.js';
import { ingressManifest, writeObject, loopbackBackends } from '../support/fixtures.js';
import { startSplitplane } from '../support/splitplane.js';

describe('nack: a refused update falls back, the rest keeps flowing', () => {
  let dir: string;
  let app: App;
  let client: AdsClient;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-nack-'));
    writeObject(dir, 'services', loopbackBackends({ 'old-nginx': 9001, 'new-nginx': 9002, api: 9003 }));
    writeObject(
      dir,
      'echo',
      ingressManifest('echo', 'mini-echo.io', [{ service: 'old-nginx' }, { service: 'new-nginx' }], { 'ingress.aliyun.weight/new-nginx': '50' }),
    );
    writeObject(dir, 'api', ingressManifest('api', 'api.test', [{ service: 'api' }]));
    app = await startSplitplane(dir, 8080);
    client = new AdsClient(app.xdsPort, 'refusing-proxy');
  });
  after(async () => {
    client?.close();
    await app?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("an EDS NACK naming a cluster: its slice falls back with Envoy's text; a later route change still arrives", async () => {
    const { cds, eds, rds } = await client.converge();

    // new-nginx moves to another port; the proxy refuses it.
    writeObject(dir, 'services', loopbackBackends({ 'old-nginx': 9001, 'new-nginx': 9012, api: 9003 }));
    const refused = await client.next(ENDPOINT_TYPE);
    expect(refused.version_info).to.not.equal(eds.version_info);
    client.nack(refused, eds.version_info, "cluster 'default/new-nginx/80': endpoint rejected by this proxy", names(cds));

    const error = await waitFor('the error on the slice', () =>
      app.controller
        .diagnostics()
        .find((d) => d.severity === 'error' && d.object.kind === 'EndpointSlice' && d.object.name === 'new-nginx-1' && d.field === 'endpoints'),
    );
    expect(error.message).to.contain('endpoint rejected by this proxy').and.contain('refusing-proxy');
    const fallback = await client.next(ENDPOINT_TYPE);
    expect(fallback.version_info, 'back to what the proxy runs').to.equal(eds.version_info);
    client.ack(fallback, names(cds));

    // Another Ingress changes: its routes reach the proxy.
    writeObject(dir, 'api', ingressManifest('api', 'api.test', [{ service: 'api', path: '/v2' }]));
    const routes = await client.next(ROUTE_TYPE);
    expect(routes.version_info).to.not.equal(rds.version_info);
    const vhost = routes.resources[0]!.virtual_hosts.find((v: { name: string }) => v.name === 'api.test');
    expect(vhost.routes[0].match.path_separated_prefix).to.equal('/v2');
    client.ack(routes, ['ingress_http']);

    // Fixing the slice (any new form) is tried again.
    writeObject(dir, 'services', loopbackBackends({ 'old-nginx': 9001, 'new-nginx': 9022, api: 9003 }));
    const retried = await client.next(ENDPOINT_TYPE);
    expect(retried.version_info).to.not.equal(eds.version_info);
    client.ack(retried, names(cds));
    await waitFor('the error to clear', () => !app.controller.diagnostics().some((d) => d.object.kind === 'EndpointSlice'));
  });
});
