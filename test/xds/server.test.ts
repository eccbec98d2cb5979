// Feature tests: the real ADS gRPC server driven by an in-process client the way Envoy drives it.

import { expect } from 'chai';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { edsCluster } from '../../src/resources/cluster.js';
import { loadAssignment } from '../../src/resources/endpoint.js';
import { httpListener } from '../../src/resources/listener.js';
import { routeConfiguration } from '../../src/resources/route.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../src/proto/type-urls.js';
import { SnapshotCache } from '../../src/snapshot/cache.js';
import { Snapshot } from '../../src/snapshot/snapshot.js';
import { AdsServer } from '../../src/xds/server.js';
import { AdsClient, names } from '../support/ads-client.js';
import { waitFor } from '../../src/local/wait.js';
import type { Json } from '../support/json.js';

const source = { kind: 'Ingress', namespace: 'default', name: 'echo' };

/** A snapshot whose one route splits over `routed` and whose CDS holds `clusters`. */
function snapshot(clusters: string[], routed: string[] = clusters, endpointPort = 1): Snapshot {
  return Snapshot.fromResources({
    [LISTENER_TYPE]: [httpListener({ address: '0.0.0.0', port: 8080 })],
    [ROUTE_TYPE]: [
      routeConfiguration([
        {
          host: 'a.io',
          groups: [
            {
              source,
              host: 'a.io',
              path: '/',
              pathType: 'Prefix',
              order: 0,
              rules: [],
              backends: routed.map((c) => ({ service: c, cluster: c, declaredBasisPoints: 1, basisPoints: 1, ready: true })),
            },
          ],
        },
      ]),
    ],
    [CLUSTER_TYPE]: clusters.map((name) => edsCluster({ name })),
    [ENDPOINT_TYPE]: clusters.map((name) => loadAssignment({ name, endpoints: [{ address: '127.0.0.1', port: endpointPort }] })),
    [SECRET_TYPE]: [],
  });
}

describe('xds/server (SotW ADS, feature)', () => {
  let cache: SnapshotCache;
  let metrics: Metrics;
  let server: AdsServer;
  let port: number;
  const clients: AdsClient[] = [];

  beforeEach(async () => {
    cache = new SnapshotCache();
    metrics = new Metrics();
    server = new AdsServer(cache, silentLogger, metrics);
    port = await server.listen('127.0.0.1', 0);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.close();
  });
  const connect = () => {
    const c = new AdsClient(port);
    clients.push(c);
    return c;
  };

  /** Brings a client to the steady state Envoy reaches: everything received and ACKed. */
  async function converge(client: AdsClient): Promise<Record<string, string>> {
    const { cds, eds, lds, rds } = await client.converge();
    await client.nothing();
    return { cds: cds.version_info, eds: eds.version_info, lds: lds.version_info, rds: rds.version_info };
  }

  it('answers a wildcard CDS request with every cluster, a version and a nonce; an ACK gets no reply', async () => {
    cache.publish(snapshot(['ns/a/80', 'ns/b/80']));
    const client = connect();
    client.subscribe(CLUSTER_TYPE);
    const cds = await client.next(CLUSTER_TYPE);
    expect(names(cds)).to.deep.equal(['ns/a/80', 'ns/b/80']);
    expect(cds.version_info).to.equal(cache.current()!.version(CLUSTER_TYPE));
    expect(cds.nonce).to.not.equal('');
    expect(cds.resources.every((r) => r['@type'] === CLUSTER_TYPE)).to.equal(true);
    client.ack(cds);
    await waitFor('the ACK to be counted', () => metrics.value('splitplane_xds_acks_total', { type: 'CDS' }) === 1);
    await client.nothing();
  });

  it('keeps the node of the first request for the stream', async () => {
    cache.publish(snapshot(['ns/a/80']));
    const client = connect();
    await converge(client);
    expect(server.list()[0]!.stream.node?.id).to.equal('test-node');
  });

  it('make-before-break: LDS waits until CDS is ACKed and every cluster has its endpoints', async () => {
    cache.publish(snapshot(['ns/a/80']));
    const client = connect();
    client.subscribe(CLUSTER_TYPE);
    client.subscribe(LISTENER_TYPE);
    const cds = await client.next(CLUSTER_TYPE);
    await client.nothing(LISTENER_TYPE);
    client.ack(cds);
    await client.nothing(LISTENER_TYPE);
    client.subscribe(ENDPOINT_TYPE, ['ns/a/80']);
    const eds = await client.next(ENDPOINT_TYPE);
    await client.nothing(LISTENER_TYPE);
    client.ack(eds, ['ns/a/80']);
    const lds = await client.next(LISTENER_TYPE);
    expect(names(lds)).to.deep.equal(['ingress_http']);
  });

  it('a new snapshot goes out as CDS, EDS, then LDS/RDS, each waiting for the one before', async () => {
    cache.publish(snapshot(['ns/a/80']));
    const client = connect();
    await converge(client);
    cache.publish(snapshot(['ns/a/80', 'ns/b/80'], ['ns/a/80', 'ns/b/80'], 2));
    const cds = await client.next();
    expect(cds.type_url).to.equal(CLUSTER_TYPE);
    await client.nothing(ROUTE_TYPE);
    client.ack(cds);
    // Endpoints changed too; the EDS response for the subscribed name comes without asking.
    const eds1 = await client.next(ENDPOINT_TYPE);
    client.ack(eds1, ['ns/a/80']);
    await client.nothing(ROUTE_TYPE);
    client.ack(eds1, ['ns/a/80', 'ns/b/80']);
    const eds2 = await client.next(ENDPOINT_TYPE);
    expect(names(eds2)).to.deep.equal(['ns/a/80', 'ns/b/80']);
    client.ack(eds2, ['ns/a/80', 'ns/b/80']);
    const rds = await client.next(ROUTE_TYPE);
    expect(rds.resources[0]!.virtual_hosts[0].routes[0].route.weighted_clusters.clusters.map((c: Json) => c.name)).to.deep.equal(['ns/a/80', 'ns/b/80']);
  });

  it('NACK: counted, logged, and the same version is not sent again; the next snapshot is', async () => {
    cache.publish(snapshot(['ns/a/80']));
    const client = connect();
    client.subscribe(CLUSTER_TYPE);
    const cds = await client.next(CLUSTER_TYPE);
    client.nack(cds, '', 'cluster ns/a/80: bad thing');
    await waitFor('the NACK to be counted', () => metrics.value('splitplane_xds_nacks_total', { type: 'CDS', node: 'test-node' }) === 1);
    await client.nothing(CLUSTER_TYPE);
    expect((server.list()[0]!.stream.describe() as Json).types.CDS.lastNack.message).to.equal('cluster ns/a/80: bad thing');
    cache.publish(snapshot(['ns/b/80']));
    const next = await client.next(CLUSTER_TYPE);
    expect(names(next)).to.deep.equal(['ns/b/80']);
  });

  it('a request answering a superseded nonce is ignored', async () => {
    cache.publish(snapshot(['ns/a/80']));
    const client = connect();
    client.subscribe(CLUSTER_TYPE);
    const first = await client.next(CLUSTER_TYPE);
    cache.publish(snapshot(['ns/b/80']));
    const second = await client.next(CLUSTER_TYPE);
    // A NACK of the old response must not be taken for a NACK of the new one.
    client.nack(first, '', 'old problem');
    await waitFor('the stale reply to be counted', () => metrics.value('splitplane_xds_stale_nonce_total', { type: 'CDS' }) === 1);
    await client.nothing();
    expect(metrics.value('splitplane_xds_nacks_total', { type: 'CDS' })).to.equal(0);
    client.ack(second);
    await waitFor('the ACK of the newer response', () => (server.list()[0]!.stream.describe() as Json).types.CDS.ackedVersion === second.version_info);
    await client.nothing();
  });

  it('a newly requested EDS name is sent even though the version did not change', async () => {
    cache.publish(snapshot(['ns/a/80', 'ns/b/80']));
    const client = connect();
    client.subscribe(ENDPOINT_TYPE, ['ns/a/80']);
    const first = await client.next(ENDPOINT_TYPE);
    expect(names(first)).to.deep.equal(['ns/a/80']);
    client.ack(first, ['ns/a/80', 'ns/b/80']);
    const second = await client.next(ENDPOINT_TYPE);
    expect(second.version_info).to.equal(first.version_info);
    expect(names(second)).to.deep.equal(['ns/a/80', 'ns/b/80']);
  });

  it('a requested name that does not exist is remembered and pushed when it appears', async () => {
    cache.publish(snapshot(['ns/a/80']));
    const client = connect();
    client.subscribe(ENDPOINT_TYPE, ['ns/a/80', 'ns/later/80']);
    const first = await client.next(ENDPOINT_TYPE);
    expect(names(first)).to.deep.equal(['ns/a/80']);
    client.ack(first, ['ns/a/80', 'ns/later/80']);
    await client.nothing(ENDPOINT_TYPE);
    cache.publish(snapshot(['ns/a/80', 'ns/later/80']));
    const second = await client.next(ENDPOINT_TYPE);
    expect(names(second)).to.deep.equal(['ns/a/80', 'ns/later/80']);
  });

  it('the revision moves with a stream, a response and an ACK, and stays put at rest', async () => {
    cache.publish(snapshot(['ns/a/80']));
    const before = server.revision;
    const client = connect();
    client.subscribe(CLUSTER_TYPE);
    const cds = await client.next(CLUSTER_TYPE);
    const sent = server.revision;
    expect(sent).to.be.above(before);
    client.ack(cds);
    await waitFor('the ACK', () => server.list()[0]?.stream.types[CLUSTER_TYPE].ackedVersion === cds.version_info, 10_000);
    const acked = server.revision;
    expect(acked).to.be.above(sent);
    await client.nothing(CLUSTER_TYPE);
    expect(server.revision, 'nothing moved').to.equal(acked);
  });

  it('a named (not wildcard) CDS subscription gets only the named clusters', async () => {
    cache.publish(snapshot(['ns/a/80', 'ns/b/80']));
    const client = connect();
    client.subscribe(CLUSTER_TYPE, ['ns/b/80']);
    expect(names(await client.next(CLUSTER_TYPE))).to.deep.equal(['ns/b/80']);
  });

  /** A client converged on `clusters`, gone, and a new stream of the same proxy (which sends nothing yet). */
  const reconnected = async (clusters: string[]) => {
    cache.publish(snapshot(clusters));
    const first = connect();
    const versions = await converge(first);
    first.close();
    return { versions, again: connect() };
  };

  it('reconnect (to this replica or another): a client holding the current version of every type is sent none of them again, and the next change as usual', async () => {
    const { versions, again } = await reconnected(['ns/a/80']);
    again.subscribe(CLUSTER_TYPE, [], versions.cds);
    again.subscribe(ENDPOINT_TYPE, ['ns/a/80'], versions.eds);
    again.subscribe(LISTENER_TYPE, [], versions.lds);
    again.subscribe(ROUTE_TYPE, ['ingress_http'], versions.rds);
    await again.nothing(CLUSTER_TYPE);
    await again.nothing(ENDPOINT_TYPE);
    await again.nothing(LISTENER_TYPE);
    await again.nothing(ROUTE_TYPE);
    cache.publish(snapshot(['ns/a/80', 'ns/b/80']));
    const cds = await again.next(CLUSTER_TYPE);
    expect(names(cds)).to.deep.equal(['ns/a/80', 'ns/b/80']);
  });

  it('reconnect at the current EDS version naming a resource we do not have: nothing now, and it is sent when it appears', async () => {
    const { versions, again } = await reconnected(['ns/a/80', 'ns/b/80']);
    again.subscribe(ENDPOINT_TYPE, ['ns/a/80', 'ns/b/80', 'ns/c/80'], versions.eds);
    await again.nothing(ENDPOINT_TYPE);
    cache.publish(snapshot(['ns/a/80', 'ns/b/80', 'ns/c/80']));
    expect(names(await again.next(ENDPOINT_TYPE))).to.include('ns/c/80');
  });

  it('reconnect with an old version gets the current state', async () => {
    cache.publish(snapshot(['ns/a/80']));
    const client = connect();
    client.subscribe(CLUSTER_TYPE, [], 'some-old-version');
    expect(names(await client.next(CLUSTER_TYPE))).to.deep.equal(['ns/a/80']);
  });

  it('a removed cluster stays in CDS until the routes that used it are ACKed, then goes', async () => {
    cache.publish(snapshot(['ns/a/80', 'ns/b/80']));
    const client = connect();
    await converge(client);
    cache.publish(snapshot(['ns/a/80']));
    // First CDS keeps ns/b/80: Envoy's running routes still send traffic there.
    const keep = await client.next(CLUSTER_TYPE);
    expect(names(keep)).to.deep.equal(['ns/a/80', 'ns/b/80']);
    client.ack(keep);
    // EDS has nothing new (both assignments are as sent): no response, and the routes follow at once.
    const rds = await client.next(ROUTE_TYPE);
    expect(rds.resources[0]!.virtual_hosts[0].routes[0].route.cluster).to.equal('ns/a/80');
    await client.nothing(CLUSTER_TYPE, 200);
    client.ack(rds, ['ingress_http']);
    const drop = await client.next(CLUSTER_TYPE);
    expect(names(drop)).to.deep.equal(['ns/a/80']);
    expect(drop.version_info).to.equal(cache.current()!.version(CLUSTER_TYPE));
    await client.nothing(ENDPOINT_TYPE, 200);
  });

  it('every open stream gets each new snapshot', async () => {
    cache.publish(snapshot(['ns/a/80']));
    const a = connect();
    const b = connect();
    await converge(a);
    await converge(b);
    cache.publish(snapshot(['ns/a/80', 'ns/c/80'], ['ns/a/80']));
    for (const c of [a, b]) expect(names(await c.next(CLUSTER_TYPE))).to.deep.equal(['ns/a/80', 'ns/c/80']);
    expect(metrics.value('splitplane_xds_streams')).to.equal(2);
  });

  it('before any snapshot, requests wait; the first publish answers them', async () => {
    const client = connect();
    client.subscribe(CLUSTER_TYPE);
    await client.nothing(CLUSTER_TYPE, 200);
    cache.publish(snapshot(['ns/a/80']));
    expect(names(await client.next(CLUSTER_TYPE))).to.deep.equal(['ns/a/80']);
  });
});
