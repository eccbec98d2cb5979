// A NACK can hold back a change; it never takes away what is served. Hostile clients on the real gRPC
// server, beside a well-behaved SotW client that ACKs everything (as an Envoy does): a gRPC-kind client
// that never ACKed, one that refuses every edit, a forged text naming another host, and a Delta client
// refusing VHDS while the SotW client runs it.

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from '../../src/app.js';
import { waitFor } from '../../src/local/wait.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../../src/proto/type-urls.js';
import { AdsClient } from '../support/ads-client.js';
import { DeltaAdsClient } from '../support/delta-ads-client.js';
import { echoIngress, ingressManifest, writeObject, loopbackBackends } from '../support/fixtures.js';
import { startSplitplane } from '../support/splitplane.js';
import type { DecodedResponse } from '../../src/xds/messages.js';

const GRPC_NODE = { id: 'hostile-grpc', cluster: 'x', user_agent_name: 'gRPC Node' };

interface VirtualHost {
  name: string;
  routes: Array<{ route?: { weighted_clusters?: { clusters: Array<{ name: string; weight: number }> }; cluster?: string } }>;
}

/** The weight of new-nginx on mini-echo.io in a whole route configuration, and the hosts in it. */
function served(rds: DecodedResponse): { hosts: string[]; newWeight: number } {
  const vhosts = (rds.resources[0]?.virtual_hosts ?? []) as VirtualHost[];
  const echo = vhosts.find((v) => v.name === 'mini-echo.io');
  const clusters = echo?.routes[0]?.route?.weighted_clusters?.clusters ?? [];
  const single = echo?.routes[0]?.route?.cluster;
  const newWeight = clusters.find((c) => c.name === 'default/new-nginx/80')?.weight ?? (single === 'default/new-nginx/80' ? 10000 : 0);
  return { hosts: vhosts.map((v) => v.name).sort(), newWeight };
}

describe('nack: hostile clients cannot take routes away from the fleet', () => {
  let dir: string;
  let app: App;
  let envoy: AdsClient;
  let rds: DecodedResponse;
  const others: Array<{ close(): void }> = [];
  const nacksCounted = () => app.ads.list().reduce((n, s) => n + Object.values(s.stream.types).filter((t) => t.lastNack).length, 0);

  /** The well-behaved client takes every route change and ACKs it; returns the latest it holds. */
  async function envoyTakes(predicate: (r: DecodedResponse) => boolean): Promise<DecodedResponse> {
    for (let i = 0; i < 20; i++) {
      const next = await envoy.next(ROUTE_TYPE, 10_000);
      envoy.ack(next, ['ingress_http']);
      rds = next;
      if (predicate(next)) return next;
    }
    throw new Error('the route change never reached the well-behaved client');
  }

  /** Every route version published later reaches the well-behaved client; none takes a host away. */
  async function settle(): Promise<void> {
    app.controller.flush();
    const wanted = () => app.cache.current()!.version(ROUTE_TYPE);
    while (rds.version_info !== wanted()) await envoyTakes(() => true);
  }

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-hostile-nack-'));
    writeObject(dir, 'services', loopbackBackends({ 'old-nginx': 9001, 'new-nginx': 9002, api: 9003 }));
    writeObject(dir, 'echo', echoIngress('50'));
    writeObject(dir, 'api', ingressManifest('api', 'api.test', [{ service: 'api' }]));
    app = await startSplitplane(dir, 8080);
    envoy = new AdsClient(app.xdsPort, 'envoy-1');
    ({ rds } = await envoy.converge());
    expect(served(rds)).to.deep.equal({ hosts: ['api.test', 'mini-echo.io'], newWeight: 5000 });
  });
  afterEach(async () => {
    for (const c of others.splice(0)) c.close();
    envoy?.close();
    await app?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a gRPC-kind client that never ACKed NACKs once: nothing is removed, and the diagnostics blame nothing', async () => {
    const hostile = new AdsClient(app.xdsPort, 'hostile-grpc');
    others.push(hostile);
    hostile.send({ node: GRPC_NODE, type_url: ROUTE_TYPE, resource_names: ['grpc/mini-echo.io'], version_info: '', response_nonce: '' });
    const first = await hostile.next(ROUTE_TYPE);
    hostile.nack(first, '', 'refused by a hostile client', ['grpc/mini-echo.io']);
    await waitFor('the NACK on record', () => nacksCounted() === 1);
    await settle();
    expect(served(rds)).to.deep.equal({ hosts: ['api.test', 'mini-echo.io'], newWeight: 5000 });
    expect(app.controller.diagnostics().filter((d) => d.severity !== 'info')).to.deep.equal([]);
    await envoy.nothing(ROUTE_TYPE, 300);
  });

  it('a gRPC-kind client that ACKed once and then refuses every edit: 8 of 8 edits stay served', async () => {
    const hostile = new AdsClient(app.xdsPort, 'hostile-grpc');
    others.push(hostile);
    hostile.send({ node: GRPC_NODE, type_url: ROUTE_TYPE, resource_names: ['grpc/mini-echo.io'], version_info: '', response_nonce: '' });
    hostile.ack(await hostile.next(ROUTE_TYPE), ['grpc/mini-echo.io']);
    for (const weight of ['10', '20', '30', '40', '60', '70', '80', '90']) {
      writeObject(dir, 'echo', echoIngress(weight));
      // The hostile client answers first: it refuses before the well-behaved one has the change.
      const refused = await hostile.next(ROUTE_TYPE);
      hostile.nack(refused, '', 'no', ['grpc/mini-echo.io']);
      await envoyTakes((r) => served(r).newWeight === Number(weight) * 100);
      await settle();
      expect(served(rds), `after ${weight}`).to.deep.equal({ hosts: ['api.test', 'mini-echo.io'], newWeight: Number(weight) * 100 });
    }
    await waitFor('every NACK on record', () => app.ads.list().find((s) => s.stream.node?.id === 'hostile-grpc')?.stream.types[ROUTE_TYPE].lastNack);
    const warning = await waitFor('the refusal noted on the Ingress', () =>
      app.controller.diagnostics().find((d) => d.object.name === 'echo' && d.message.includes('hostile-grpc')),
    );
    expect(warning.severity).to.equal('warning');
    expect(warning.message).to.match(/keeps being served/);
    expect(app.controller.diagnostics().filter((d) => d.severity === 'error')).to.deep.equal([]);
  });

  it('a forged text naming another host blames nothing the client did not subscribe to', async () => {
    const hostile = new AdsClient(app.xdsPort, 'hostile-grpc');
    others.push(hostile);
    hostile.send({ node: GRPC_NODE, type_url: ROUTE_TYPE, resource_names: ['grpc/mini-echo.io'], version_info: '', response_nonce: '' });
    hostile.ack(await hostile.next(ROUTE_TYPE), ['grpc/mini-echo.io']);
    // Both hosts change: the client gets its own host's new routes, and claims the other host is at fault.
    writeObject(dir, 'api', ingressManifest('api', 'api.test', [{ service: 'api', path: '/v2' }]));
    writeObject(dir, 'echo', echoIngress('60'));
    const refused = await hostile.next(ROUTE_TYPE);
    hostile.nack(refused, '', 'RouteConfiguration grpc/api.test: invalid', ['grpc/mini-echo.io']);
    await waitFor('the NACK on record', () => nacksCounted() === 1);
    await settle();
    const api = (rds.resources[0]!.virtual_hosts as Array<{ name: string; routes: Array<{ match: Record<string, string> }> }>).find(
      (v) => v.name === 'api.test',
    );
    expect(api!.routes[0]!.match.path_separated_prefix).to.equal('/v2');
    expect(served(rds).newWeight, 'its own host is held, not rolled back: the SotW client takes it too').to.equal(6000);
    expect(app.controller.diagnostics().filter((d) => d.severity === 'error')).to.deep.equal([]);
    expect(app.controller.diagnostics().filter((d) => d.object.name === 'api')).to.deep.equal([]);
  });

  it('a Delta client refusing VHDS while a SotW client runs the routes: held, then protected; the edit stays', async () => {
    const delta = new DeltaAdsClient(app.xdsPort, 'hostile-delta');
    others.push(delta);
    for (const [type, names] of [
      [CLUSTER_TYPE, []],
      [ENDPOINT_TYPE, ['default/old-nginx/80', 'default/new-nginx/80', 'default/api/80']],
      [LISTENER_TYPE, []],
      [ROUTE_TYPE, ['ingress_http']],
      [VIRTUAL_HOST_TYPE, []],
    ] as const) {
      delta.subscribe(type, [...names]);
      delta.ack(await delta.next(type));
    }
    writeObject(dir, 'echo', echoIngress('100'));
    const refused = await delta.next(VIRTUAL_HOST_TYPE);
    delta.send({
      type_url: VIRTUAL_HOST_TYPE,
      response_nonce: refused.nonce,
      error_detail: { code: 3, message: 'virtual host ingress_http/mini-echo.io refused' },
    });
    await envoyTakes((r) => served(r).newWeight === 10000);
    await settle();
    expect(served(rds)).to.deep.equal({ hosts: ['api.test', 'mini-echo.io'], newWeight: 10000 });
    const warning = await waitFor('the refusal noted on the Ingress', () =>
      app.controller.diagnostics().find((d) => d.object.name === 'echo' && d.severity === 'warning' && d.message.includes('hostile-delta')),
    );
    expect(warning.message).to.match(/1 of 2 connected proxies refused this form|other connected proxy runs this form/);
  });

  it('the only client refusing a new Ingress: it is held back (not served), the others keep serving', async () => {
    writeObject(dir, 'fresh', ingressManifest('fresh', 'fresh.test', [{ service: 'api' }]));
    const refused = await envoy.next(ROUTE_TYPE);
    expect(served(refused).hosts).to.include('fresh.test');
    envoy.nack(refused, rds.version_info, 'virtual host fresh.test: refused', ['ingress_http']);
    const error = await waitFor('the error on the new Ingress', () =>
      app.controller.diagnostics().find((d) => d.object.name === 'fresh' && d.severity === 'error'),
    );
    expect(error.message).to.contain('no proxy ever ran this Ingress');
    const back = await envoy.next(ROUTE_TYPE);
    envoy.ack(back, ['ingress_http']);
    expect(served(back)).to.deep.equal({ hosts: ['api.test', 'mini-echo.io'], newWeight: 5000 });
  });
});
