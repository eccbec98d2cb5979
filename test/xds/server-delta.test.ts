// Feature tests: Delta ADS over real gRPC, driven the way Envoy drives it, at the size of a fleet's
// configuration: what one stream receives, counted in bytes off the wire.

import { expect } from 'chai';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../../src/proto/type-urls.js';
import { SnapshotCache } from '../../src/snapshot/cache.js';
import { AdsServer } from '../../src/xds/server.js';
import { DeltaAdsClient, settle, type Received } from '../support/delta-ads-client.js';
import { AdsClient } from '../support/ads-client.js';
import { worldBuilder, type HostTarget } from '../support/fake-stream.js';
import { sleep } from '../../src/local/wait.js';
import type { Json } from '../support/json.js';

const HOSTS = 1000;

/** 1,000 hosts, each split 50/50 between its own two clusters (2,000 clusters). */
function fleet(flipped: Record<string, HostTarget> = {}): Record<string, HostTarget> {
  const hosts: Record<string, HostTarget> = {};
  for (let i = 0; i < HOSTS; i++) hosts[`host-${i}.example.com`] = { [`default/old-${i}/80`]: 5000, [`default/new-${i}/80`]: 5000 };
  return { ...hosts, ...flipped };
}

describe('xds/server (Delta ADS, feature, 1,000 hosts)', function () {
  this.timeout(60_000);
  let cache: SnapshotCache;
  let server: AdsServer;
  let port: number;
  const build = worldBuilder();
  const clients: Array<{ close(): void }> = [];

  beforeEach(async () => {
    cache = new SnapshotCache();
    server = new AdsServer(cache, silentLogger, new Metrics());
    port = await server.listen('127.0.0.1', 0);
    cache.publish(build(fleet()));
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.close();
  });

  it('a one-host weight flip reaches a Delta stream as that host alone: one VHDS response of at most 2 KB', async () => {
    const client = new DeltaAdsClient(port);
    clients.push(client);
    const first = await settle(client);
    expect(first.vhds!.resources).to.have.length(HOSTS);
    expect(first.rds!.resources[0]!.resource.virtual_hosts ?? []).to.deep.equal([]);

    cache.publish(build(fleet({ 'host-7.example.com': { 'default/old-7/80': 1000, 'default/new-7/80': 9000 } })));
    const flip = await client.next();
    client.ack(flip);
    expect(flip.type_url).to.equal(VIRTUAL_HOST_TYPE);
    expect(flip.resources.map((r) => r.name)).to.deep.equal(['ingress_http/host-7.example.com']);
    const weights = flip.resources[0]!.resource.routes[0].route.weighted_clusters.clusters.map((c: Json) => [c.name, c.weight]);
    expect(weights).to.deep.equal([
      ['default/old-7/80', 1000],
      ['default/new-7/80', 9000],
    ]);
    expect(flip.bytes, 'bytes of the one response').to.be.at.most(2048);
    // Nothing else follows: no other type moved.
    await sleep(200);
    expect(client.pending()).to.deep.equal([]);
  });

  it('the same flip sends a SotW stream the whole route configuration (why Delta streams take routes per host)', async () => {
    const client = new AdsClient(port);
    clients.push(client);
    await client.converge();
    cache.publish(build(fleet({ 'host-7.example.com': { 'default/old-7/80': 1000, 'default/new-7/80': 9000 } })));
    const rds = await client.next(ROUTE_TYPE);
    expect(rds.resources[0]!.virtual_hosts).to.have.length(HOSTS);
  });

  it('a reconnecting Delta client that holds the current resources is sent none of them again', async () => {
    const first = new DeltaAdsClient(port);
    clients.push(first);
    const settled = await settle(first);
    first.close();
    const again = new DeltaAdsClient(port);
    clients.push(again);
    const held = (r: Received) => Object.fromEntries(r.resources.map((x) => [x.name, x.version]));
    again.subscribe(CLUSTER_TYPE, [], held(settled.cds!));
    const cds = await again.next(CLUSTER_TYPE);
    expect(cds.resources).to.deep.equal([]);
    expect(cds.removed_resources).to.deep.equal([]);
    again.ack(cds);
    again.subscribe(
      ENDPOINT_TYPE,
      settled.eds!.resources.map((r) => r.name),
      held(settled.eds!),
    );
    const eds = await again.next(ENDPOINT_TYPE);
    expect(eds.resources).to.deep.equal([]);
  });
});
