// Replicas share one truth: two replicas reading the same API server serve the same content at the same
// versions (content hashes), so a proxy that reconnects to the other one (a rolling update, a replica
// lost) is sent nothing it already holds, over either protocol, and then the next change as usual.

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from '../../src/app.js';
import { waitFor } from '../../src/local/wait.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, PUSH_ORDER, ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../../src/proto/type-urls.js';
import type { RoutingView, Snapshot } from '../../src/snapshot/snapshot.js';
import { AdsClient, names } from '../support/ads-client.js';
import { DeltaAdsClient, settle, type Received } from '../support/delta-ads-client.js';
import { FakeApiServer } from '../support/fake-apiserver.js';
import { ingressManifest, loopbackEndpointSlice, loopbackService } from '../support/fixtures.js';
import { startKubeReplica } from '../support/splitplane.js';

const HOSTS = 20;

/** Every type's version and every resource's version, in each routing view. */
function versions(snapshot: Snapshot): Record<string, string> {
  const out: Record<string, string> = {};
  for (const view of ['whole', 'per-host', 'grpc'] as RoutingView[]) {
    for (const t of PUSH_ORDER) {
      const type = snapshot.type(t, view);
      out[`${view} ${t}`] = type.version;
      for (const [name, r] of type.resources) out[`${view} ${t} ${name}`] = r.version;
    }
  }
  return out;
}

describe('replicas share one truth (two replicas, one API server)', function () {
  this.timeout(120_000);
  let api: FakeApiServer;
  let dir: string;
  let a: App;
  let b: App;
  const clients: Array<{ close(): void }> = [];
  let weight = 10;

  const flip = () => {
    weight += 7;
    api.apply(ingressManifest('app-3', 'app-3.example', [{ service: 'old-3' }, { service: 'new-3' }], { 'ingress.aliyun.weight/new-3': String(weight) }));
  };
  /** Both replicas serve the same snapshot: equal versions of every type and resource, in every view. */
  const agreed = () => {
    const [x, y] = [a.cache.current(), b.cache.current()];
    return !!x && !!y && JSON.stringify(versions(x)) === JSON.stringify(versions(y));
  };

  before(async () => {
    api = new FakeApiServer(100);
    await api.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-replicas-'));
    for (let i = 0; i < HOSTS; i++) {
      for (const v of ['old', 'new']) {
        api.apply(loopbackService(`${v}-${i}`));
        api.apply(loopbackEndpointSlice(`${v}-${i}`, 9000 + i));
      }
      api.apply(
        ingressManifest(`app-${i}`, `app-${i}.example`, [{ service: `old-${i}` }, { service: `new-${i}` }], { [`ingress.aliyun.weight/new-${i}`]: '10' }),
      );
    }
    const kubeconfig = api.writeKubeconfig(dir);
    a = await startKubeReplica(kubeconfig);
    b = await startKubeReplica(kubeconfig);
    await waitFor('both replicas to serve the same snapshot', agreed, 60_000);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await api.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('every type and every resource has the same version on both replicas, before and after a change', async () => {
    const x = a.cache.current()!;
    expect(versions(x)).to.deep.equal(versions(b.cache.current()!));
    flip();
    await waitFor('both replicas to publish the change and agree', () => a.cache.current() !== x && b.cache.current() !== x && agreed(), 30_000);
    expect(a.cache.current()!.version(ROUTE_TYPE)).to.not.equal(x.version(ROUTE_TYPE));
    expect(a.cache.current()!.version(CLUSTER_TYPE), 'a weight is routes only').to.equal(x.version(CLUSTER_TYPE));
  });

  it('State of the World: converged on one replica, reconnected to the other with its versions, it is sent nothing until the next change', async () => {
    const first = new AdsClient(a.xdsPort, 'replica-sotw');
    clients.push(first);
    const held = await first.converge();
    first.close();
    const again = new AdsClient(b.xdsPort, 'replica-sotw');
    clients.push(again);
    // What an Envoy sends on a new stream: each type with its subscription and the version it runs.
    again.subscribe(CLUSTER_TYPE, [], held.cds.version_info);
    again.subscribe(ENDPOINT_TYPE, names(held.cds), held.eds.version_info);
    again.subscribe(LISTENER_TYPE, [], held.lds.version_info);
    again.subscribe(ROUTE_TYPE, ['ingress_http'], held.rds.version_info);
    await waitFor('the other replica to take every subscription', () => b.ads.list().some((s) => s.stream.types[ROUTE_TYPE].requested), 10_000);
    const before = b.cache.current();
    flip();
    await waitFor('the change published on the other replica', () => b.cache.current() !== before, 30_000);
    // The first response after the reconnect is the change itself: routes, and nothing the proxy held.
    const next = await again.next();
    expect(next.type_url).to.equal(ROUTE_TYPE);
    expect(next.version_info).to.equal(b.cache.current()!.version(ROUTE_TYPE));
    expect(again.pending(), 'nothing else was sent').to.deep.equal([]);
  });

  it('Delta: converged on one replica, reconnected to the other with what it holds, every type answers empty, then the change is one host', async () => {
    const first = new DeltaAdsClient(a.xdsPort, 'replica-delta');
    clients.push(first);
    const held = await settle(first);
    first.close();
    const again = new DeltaAdsClient(b.xdsPort, 'replica-delta');
    clients.push(again);
    const holding = (r: Received) => Object.fromEntries(r.resources.map((x) => [x.name, x.version]));
    const steps: Array<[string, Received, string[]]> = [
      [CLUSTER_TYPE, held.cds, []],
      [ENDPOINT_TYPE, held.eds, held.cds.resources.map((r) => r.name)],
      [LISTENER_TYPE, held.lds, []],
      [ROUTE_TYPE, held.rds, ['ingress_http']],
      [VIRTUAL_HOST_TYPE, held.vhds, []],
    ];
    for (const [type, response, subscribe] of steps) {
      again.subscribe(type, subscribe, holding(response));
      // The first response of a type goes out even when empty: the client waits for it to start up.
      const answer = await again.next(type);
      expect(
        answer.resources.map((r) => r.name),
        `${type}: nothing the proxy holds`,
      ).to.deep.equal([]);
      expect(answer.removed_resources, `${type}: nothing removed`).to.deep.equal([]);
      again.ack(answer);
    }
    flip();
    const vhds = await again.next(VIRTUAL_HOST_TYPE);
    expect(vhds.resources.map((r) => r.name)).to.deep.equal(['ingress_http/app-3.example']);
    expect(again.pending(), 'nothing else was sent').to.deep.equal([]);
  });
});
