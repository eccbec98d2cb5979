// Hostile and broken clients: one that stops reading, one that floods requests for unknown types, one
// that sends megabytes of NACK text. The server's memory per stream and its log output stay bounded.

import { expect } from 'chai';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { edsCluster } from '../../src/resources/cluster.js';
import { loadAssignment } from '../../src/resources/endpoint.js';
import { httpListener } from '../../src/resources/listener.js';
import { routeConfiguration } from '../../src/resources/route.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../src/proto/type-urls.js';
import { SnapshotCache } from '../../src/snapshot/cache.js';
import { Snapshot } from '../../src/snapshot/snapshot.js';
import { AdsServer, NACK_BURST, type NackReport } from '../../src/xds/server.js';
import { isLoopbackPeer } from '../../src/xds/credentials.js';
import { waitFor } from '../../src/local/wait.js';
import { AdsClient } from '../support/ads-client.js';
import { RawAdsClient } from '../support/raw-ads-client.js';

const source = { kind: 'Ingress', namespace: 'default', name: 'echo' };

/** A snapshot with `hosts` virtual hosts (about 200 bytes each) and one cluster; `tag` makes it new. */
function bigSnapshot(tag: number, hosts = 1000): Snapshot {
  const vhosts = Array.from({ length: hosts }, (_, i) => ({
    host: `host-${i}-${tag}.example`,
    groups: [
      {
        source,
        host: `host-${i}-${tag}.example`,
        path: '/',
        pathType: 'Prefix' as const,
        order: 0,
        rules: [],
        backends: [{ service: 'a', cluster: 'ns/a/80', declaredBasisPoints: 10000, basisPoints: 10000, ready: true }],
      },
    ],
  }));
  return Snapshot.fromResources({
    [LISTENER_TYPE]: [httpListener({ address: '0.0.0.0', port: 8080 })],
    [ROUTE_TYPE]: [routeConfiguration(vhosts)],
    [CLUSTER_TYPE]: [edsCluster({ name: 'ns/a/80' })],
    [ENDPOINT_TYPE]: [loadAssignment({ name: 'ns/a/80', endpoints: [{ address: '127.0.0.1', port: 1 }] })],
    [SECRET_TYPE]: [],
  });
}

describe('xds/server under hostile clients', () => {
  let cache: SnapshotCache;
  let metrics: Metrics;
  let server: AdsServer;
  let port: number;
  let lines: string[];
  let nacks: NackReport[];

  beforeEach(async () => {
    cache = new SnapshotCache();
    metrics = new Metrics();
    lines = [];
    nacks = [];
    server = new AdsServer(
      cache,
      createLogger('debug', {}, (l) => lines.push(l)),
      metrics,
      { onNack: (r) => nacks.push(r) },
    );
    port = await server.listen('127.0.0.1', 0);
  });
  afterEach(async () => {
    await server.close();
  });

  it('a stream that stops reading holds at most one response per type; when it reads again it gets the latest, not every state between', async () => {
    cache.publish(bigSnapshot(0));
    const client = new RawAdsClient(port);
    try {
      client.send({ node: { id: 'stuck' }, type_url: ROUTE_TYPE, resource_names: ['ingress_http'] });
      await waitFor('the first routes', () => client.received.length === 1);
      const routeBytes = client.bytes;
      client.stopReading();
      const flips = 40;
      let maxUnsent = 0;
      for (let tag = 1; tag <= flips; tag++) {
        cache.publish(bigSnapshot(tag));
        await new Promise((r) => setImmediate(r));
        maxUnsent = Math.max(maxUnsent, server.list()[0]!.unsentBytes());
      }
      const sent = metrics.value('splitplane_xds_responses_total', { type: 'RDS' });
      expect(sent, 'responses written while the client did not read').to.be.at.most(3);
      expect(maxUnsent, 'bytes held for the stuck stream').to.be.at.most(2 * routeBytes);
      client.resumeReading();
      const latest = cache.current()!.version(ROUTE_TYPE);
      await waitFor('the latest routes', () => client.received.some((r) => r.version_info === latest));
      expect(client.received.length, 'responses received in all').to.be.at.most(4);
      expect(server.list()[0]!.unsentBytes()).to.equal(0);
    } finally {
      client.close();
    }
  });

  it('over Delta too, a stream that stops reading holds one response per type and gets the latest when it drains', async () => {
    cache.publish(bigSnapshot(0));
    const client = new RawAdsClient(port, 'delta');
    try {
      client.send({ node: { id: 'stuck-delta' }, type_url: ROUTE_TYPE, resource_names_subscribe: ['ingress_http'] });
      await waitFor('the first routes', () => client.received.length === 1);
      const routeBytes = client.bytes;
      client.stopReading();
      let maxUnsent = 0;
      for (let tag = 1; tag <= 40; tag++) {
        cache.publish(bigSnapshot(tag));
        await new Promise((r) => setImmediate(r));
        maxUnsent = Math.max(maxUnsent, server.list()[0]!.unsentBytes());
      }
      expect(metrics.value('splitplane_xds_responses_total', { type: 'RDS' }), 'responses written while the client did not read').to.be.at.most(3);
      expect(maxUnsent, 'bytes held for the stuck stream').to.be.at.most(2 * routeBytes);
      client.resumeReading();
      const latest = cache.current()!.version(ROUTE_TYPE, 'per-host');
      await waitFor('the latest routes', () => client.received.some((r) => r.version_info === latest));
      expect(client.received.length, 'responses received in all').to.be.at.most(4);
    } finally {
      client.close();
    }
  });

  it('5,000 requests for an unknown type write a handful of log lines, not 5,000', async () => {
    cache.publish(bigSnapshot(0, 1));
    const client = new RawAdsClient(port);
    try {
      for (let i = 0; i < 5000; i++) client.send({ node: { id: 'flood' }, type_url: `type.googleapis.com/unknown.${'x'.repeat(1000)}`, resource_names: [] });
      client.send({ type_url: CLUSTER_TYPE, resource_names: [] });
      await waitFor('the CDS answer after the flood', () => client.received.some((r) => r.type_url === CLUSTER_TYPE));
      const unknown = lines.filter((l) => l.includes('does not serve'));
      expect(unknown.length).to.be.within(1, 10);
      expect(lines.join('\n').length, 'log bytes').to.be.below(50_000);
    } finally {
      client.close();
    }
  });

  it('fifty NACKs of 1 MiB each: the text is truncated in logs, the debug view and the report; logs and judged NACKs are limited', async () => {
    cache.publish(bigSnapshot(0, 1));
    const client = new AdsClient(port, 'noisy');
    try {
      client.subscribe(ROUTE_TYPE, ['ingress_http']);
      let response = await client.next(ROUTE_TYPE);
      const huge = 'e'.repeat(1024 * 1024);
      for (let i = 0; i < 50; i++) {
        client.nack(response, '', huge, ['ingress_http']);
        await waitFor('the NACK', () => metrics.value('splitplane_xds_nacks_total', { type: 'RDS', node: 'noisy' }) === i + 1);
        cache.publish(bigSnapshot(i + 1, 1));
        response = await client.next(ROUTE_TYPE);
      }
      await waitFor('every NACK counted', () => metrics.value('splitplane_xds_nacks_total', { type: 'RDS', node: 'noisy' }) === 50);
      expect(lines.join('\n').length, 'log bytes').to.be.below(100_000);
      expect(lines.filter((l) => l.includes('NACK')).length).to.be.at.most(10);
      const described = server.list()[0]!.stream.describe() as { types: Record<string, { lastNack: { message: string } }> };
      expect(described.types.RDS!.lastNack.message.length).to.be.below(1200);
      // A burst is judged, then one a second; the rest are counted only.
      const unjudged = metrics.value('splitplane_xds_nacks_unjudged_total', { type: 'RDS' });
      expect(nacks.length + unjudged).to.equal(50);
      expect(nacks.length).to.be.at.least(NACK_BURST).and.below(50);
      expect(Math.max(...nacks.map((n) => n.message.length))).to.be.below(1200);
    } finally {
      client.close();
    }
  });

  it('the NACK metric names the node, and a NACK of a version another proxy accepted says so', async () => {
    cache.publish(bigSnapshot(0, 1));
    const good = new AdsClient(port, 'good-proxy');
    const odd = new AdsClient(port, 'odd-proxy');
    try {
      good.subscribe(CLUSTER_TYPE);
      good.ack(await good.next(CLUSTER_TYPE));
      await waitFor('the ACK', () => metrics.value('splitplane_xds_acks_total', { type: 'CDS' }) === 1);
      odd.subscribe(CLUSTER_TYPE);
      odd.nack(await odd.next(CLUSTER_TYPE), '', 'odd');
      await waitFor('the NACK', () => nacks.length === 1);
      expect(metrics.value('splitplane_xds_nacks_total', { type: 'CDS', node: 'odd-proxy' })).to.equal(1);
      expect(metrics.value('splitplane_xds_nacks_total', { type: 'CDS', node: 'good-proxy' })).to.equal(0);
      expect(nacks[0]).to.include({ node: 'odd-proxy', acceptedElsewhere: 1, running: undefined });
      expect(lines.some((l) => l.includes('other proxies accepted'))).to.equal(true);
    } finally {
      good.close();
      odd.close();
    }
  });

  it('without TLS, a client beyond loopback is served everything but TLS secrets', async () => {
    await server.close();
    server = new AdsServer(
      cache,
      createLogger('debug', {}, (l) => lines.push(l)),
      metrics,
      { secretsTo: 'loopback', isLoopback: () => false },
    );
    port = await server.listen('127.0.0.1', 0);
    cache.publish(bigSnapshot(0, 1));
    const remote = new AdsClient(port, 'remote');
    try {
      remote.subscribe(SECRET_TYPE, ['default/tls']);
      remote.subscribe(CLUSTER_TYPE);
      expect((await remote.next(CLUSTER_TYPE)).resources).to.have.length(1);
      await remote.nothing(SECRET_TYPE);
      expect(server.list()[0]!.stream.describe()).to.deep.include({ refused: ['SDS'] });
      expect(lines.some((l) => l.includes('TLS secrets are not sent to this client'))).to.equal(true);
    } finally {
      remote.close();
    }
  });

  it('isLoopbackPeer: 127.0.0.0/8, ::1 and IPv4-mapped loopback only', () => {
    const table: Array<[string, boolean]> = [
      ['127.0.0.1:5000', true],
      ['127.9.8.7:1', true],
      ['[::1]:5000', true],
      ['[::ffff:127.0.0.1]:5000', true],
      ['10.0.0.1:5000', false],
      ['[::ffff:10.0.0.1]:5000', false],
      ['[2001:db8::1]:5000', false],
      ['128.0.0.1:5000', false],
      ['', false],
    ];
    for (const [peer, expected] of table) expect(isLoopbackPeer(peer), peer).to.equal(expected);
  });
});
