// Per-client bounds on the ADS server (docs/safety.md, "Limits"): each attack at a size that shows the
// bound holds, against the real gRPC server. A client past a limit is refused with RESOURCE_EXHAUSTED;
// work follows the request, not what the stream holds.

import { expect } from 'chai';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { waitFor } from '../../src/local/wait.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE } from '../../src/proto/type-urls.js';
import { SnapshotCache } from '../../src/snapshot/cache.js';
import { AdsServer, peerAddress } from '../../src/xds/server.js';
import { MAX_GRPC_TARGETS, MAX_NAMES_PER_TYPE } from '../../src/xds/limits.js';
import { AdsClient } from '../support/ads-client.js';
import { DeltaAdsClient } from '../support/delta-ads-client.js';
import { worldBuilder } from '../support/fake-stream.js';
import { RawAdsClient } from '../support/raw-ads-client.js';
import http2 from 'node:http2';
import { Controller } from '../../src/controller.js';
import { ObjectStore } from '../../src/store/store.js';
import { endpointSlice, ingress, service } from '../support/fixtures.js';

const RESOURCE_EXHAUSTED = 8;
const GRPC_NODE = { id: 'grpc-client', user_agent_name: 'gRPC Node' };

describe('xds/server: per-client bounds', function () {
  this.timeout(120_000);
  let cache: SnapshotCache;
  let metrics: Metrics;
  let server: AdsServer;
  let port: number;
  let lines: string[];
  const build = worldBuilder();
  const closers: Array<{ close(): void }> = [];

  async function start(options: ConstructorParameters<typeof AdsServer>[3] = {}) {
    cache = new SnapshotCache();
    metrics = new Metrics();
    lines = [];
    server = new AdsServer(
      cache,
      createLogger('info', {}, (l) => lines.push(l)),
      metrics,
      options,
    );
    port = await server.listen('127.0.0.1', 0);
    cache.publish(build({ 'a.io': 'a', 'b.io': { a: 5000, b: 5000 } }));
  }
  afterEach(async () => {
    for (const c of closers.splice(0)) c.close();
    await server?.close();
  });

  it('Delta churn: with 20,000 names held, 20,000 one-name subscribe/unsubscribe requests cost work per request, and a flip still arrives', async () => {
    await start();
    const churner = new RawAdsClient(port, 'delta');
    closers.push(churner);
    const held = Array.from({ length: 20_000 }, (_, i) => `default/svc-${i}/80`);
    churner.send({ node: { id: 'churner' }, type_url: ENDPOINT_TYPE, resource_names_subscribe: held });
    await waitFor('the first EDS response', () => churner.received.length > 0);
    const cpu = process.cpuUsage();
    for (let i = 0; i < 10_000; i++) {
      churner.send({ type_url: ENDPOINT_TYPE, resource_names_subscribe: [`extra-${i}`] });
      churner.send({ type_url: ENDPOINT_TYPE, resource_names_unsubscribe: [`extra-${i}`] });
    }
    // A well-behaved client sees a flip while the churn is processed.
    const good = new AdsClient(port, 'good');
    closers.push(good);
    good.subscribe(CLUSTER_TYPE);
    good.ack(await good.next(CLUSTER_TYPE));
    cache.publish(build({ 'a.io': 'a', 'b.io': { a: 5000, b: 5000 } }, { extraClusters: ['c'] }));
    expect((await good.next(CLUSTER_TYPE)).resources.map((r) => r.name)).to.include('c');
    churner.send({ type_url: ENDPOINT_TYPE, resource_names_subscribe: ['last'] });
    await waitFor('every churn request handled', () => {
      const stream = server.list().find((s) => s.stream.node?.id === 'churner');
      return stream?.stream.types[ENDPOINT_TYPE].names.has('last') && stream.stream.types[ENDPOINT_TYPE].names.size === 20_001;
    });
    const used = process.cpuUsage(cpu);
    // Each request used to copy, sort and intern the 20,000 names held: 39.5 s of CPU for this churn.
    expect((used.user + used.system) / 1e6, 'CPU seconds for 20,000 requests').to.be.below(8);
  });

  it(`a Delta client subscribing more than ${MAX_NAMES_PER_TYPE} names of a type is refused with RESOURCE_EXHAUSTED`, async () => {
    await start();
    const client = new RawAdsClient(port, 'delta');
    closers.push(client);
    const names = Array.from({ length: MAX_NAMES_PER_TYPE + 1 }, (_, i) => `n${i}`);
    client.send({ node: { id: 'greedy' }, type_url: ENDPOINT_TYPE, resource_names_subscribe: names });
    const status = await waitFor('the stream ended', () => client.status);
    expect(status.code).to.equal(RESOURCE_EXHAUSTED);
    expect(status.details).to.contain(`more than the ${MAX_NAMES_PER_TYPE}`);
    expect(metrics.value('splitplane_xds_streams_refused_total', { reason: 'limit' })).to.equal(1);
  });

  it(`a gRPC client asking for more than ${MAX_GRPC_TARGETS} listeners is refused; ${MAX_GRPC_TARGETS} are served from one shared set`, async () => {
    await start();
    const greedy = new RawAdsClient(port, 'sotw');
    closers.push(greedy);
    const targets = Array.from({ length: 100_000 }, (_, i) => `t${i}.a.io`);
    greedy.send({ node: GRPC_NODE, type_url: LISTENER_TYPE, resource_names: targets });
    expect((await waitFor('the stream ended', () => greedy.status)).code).to.equal(RESOURCE_EXHAUSTED);
    const fine = new RawAdsClient(port, 'sotw');
    closers.push(fine);
    fine.send({ node: GRPC_NODE, type_url: LISTENER_TYPE, resource_names: targets.slice(0, MAX_GRPC_TARGETS) });
    await waitFor('the listeners', () => fine.received.length > 0);
    expect(fine.status).to.equal(undefined);
  });

  it('a Delta client sending a million initial_resource_versions (10 MB) is refused unread; 100,001 entries are refused by count', async () => {
    await start();
    const huge = new RawAdsClient(port, 'delta');
    closers.push(huge);
    const million = Object.fromEntries(Array.from({ length: 1_000_000 }, (_, i) => [`r${i}`, 'v']));
    huge.send({ node: { id: 'huge' }, type_url: CLUSTER_TYPE, initial_resource_versions: million });
    // grpc-js refuses the message before decoding it (RESOURCE_EXHAUSTED, or a reset while the body still arrives).
    expect((await waitFor('the stream ended', () => huge.status)).code).to.be.oneOf([RESOURCE_EXHAUSTED, -1]);
    expect(huge.received).to.deep.equal([]);
    const many = new RawAdsClient(port, 'delta');
    closers.push(many);
    many.send({
      node: { id: 'many' },
      type_url: CLUSTER_TYPE,
      initial_resource_versions: Object.fromEntries(Array.from({ length: MAX_NAMES_PER_TYPE + 1 }, (_, i) => [`r${i}`, 'v'])),
    });
    expect((await waitFor('the stream ended', () => many.status)).code).to.equal(RESOURCE_EXHAUSTED);
    expect(server.list()).to.have.length(0);
  });

  it('a client that stops reading is ended once its unsent bytes pass the limit, not kept growing', async () => {
    await start({ maxUnsentBytes: 256 * 1024 });
    const stalled = new RawAdsClient(port, 'sotw');
    closers.push(stalled);
    stalled.stopReading();
    // 3,000 clusters: CDS and EDS go out together (neither waits for the other), each over 100 KB.
    const hosts = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`host-${i}.example`, `c-${i}`]));
    cache.publish(build(hosts));
    stalled.send({ node: { id: 'stalled' }, type_url: CLUSTER_TYPE, resource_names: [] });
    await waitFor('the CDS response written', () => (server.list()[0]?.unsentBytes() ?? 0) > 0);
    stalled.send({ type_url: ENDPOINT_TYPE, resource_names: Object.values(hosts) });
    await waitFor('the stalled stream ended', () => server.list().length === 0);
    expect(metrics.value('splitplane_xds_streams_refused_total', { reason: 'limit' })).to.equal(1);
  });

  it('streams per peer: past the limit a new stream is refused, and one closing makes room', async () => {
    await start({ maxStreamsPerPeer: 5 });
    const clients = Array.from({ length: 5 }, (_, i) => new DeltaAdsClient(port, `n${i}`));
    closers.push(...clients);
    for (const c of clients) c.subscribe(CLUSTER_TYPE);
    await waitFor('five streams', () => server.list().length === 5);
    const sixth = new RawAdsClient(port, 'delta');
    closers.push(sixth);
    sixth.send({ node: { id: 'sixth' }, type_url: CLUSTER_TYPE });
    const status = await waitFor('the sixth refused', () => sixth.status);
    expect(status.code).to.equal(RESOURCE_EXHAUSTED);
    expect(status.details).to.contain('--max-streams-per-peer');
    clients[0]!.close();
    await waitFor('room again', () => server.list().length === 4);
    const seventh = new RawAdsClient(port, 'delta');
    closers.push(seventh);
    seventh.send({ node: { id: 'seventh' }, type_url: CLUSTER_TYPE });
    await waitFor('the seventh served', () => seventh.received.length > 0);
  });

  it('2,000 abandoned streams write a bounded number of opened/closed lines', async () => {
    await start({ maxStreamsPerPeer: 10_000 });
    for (let batch = 0; batch < 20; batch++) {
      const clients = Array.from({ length: 100 }, () => new RawAdsClient(port, 'sotw'));
      clients.forEach((c, i) => c.send({ node: { id: `abandoned-${batch}-${i}` }, type_url: CLUSTER_TYPE, resource_names: [] }));
      await waitFor('the batch answered', () => clients.every((c) => c.received.length > 0));
      for (const c of clients) c.close();
    }
    await waitFor('every stream closed', () => server.list().length === 0);
    const churn = lines.filter((l) => /xds stream (opened|closed)/.test(l));
    expect(churn.length, 'opened/closed lines').to.be.below(200);
    expect(lines.join('\n').length, 'log bytes').to.be.below(100_000);
  });

  it('streams per HTTP/2 connection: 8 are served, a 9th on the same connection is refused by the connection itself', async () => {
    await start();
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    closers.push({ close: () => session.close() });
    const streams = Array.from({ length: 9 }, () => new RawAdsClient(port, 'delta', session));
    closers.push(...streams);
    streams.forEach((s, i) => s.send({ node: { id: `n${i}` }, type_url: CLUSTER_TYPE }));
    await waitFor('eight served', () => streams.filter((s) => s.received.length > 0).length === 8);
    expect(server.list()).to.have.length(8);
    await waitFor('the ninth refused', () => streams[8]!.status);
    expect(streams[8]!.received).to.deep.equal([]);
  });

  it('a NACK flood from one Delta stream: every NACK counted, a bounded number judged and logged', async () => {
    const logged: string[] = [];
    const log = createLogger('info', {}, (l) => logged.push(l));
    const store = new ObjectStore();
    cache = new SnapshotCache();
    metrics = new Metrics();
    const controller = new Controller(store, cache, { ingressClass: 'splitplane', translate: { http: { address: '0.0.0.0', port: 8080 } } }, log, metrics);
    store.replaceSource('world', [
      service('old-nginx'),
      endpointSlice('old-nginx', ['10.0.0.1'], 80),
      ingress({ name: 'echo', paths: [{ service: 'old-nginx' }] }),
    ]);
    controller.rebuild();
    server = new AdsServer(cache, log, metrics, { onNack: (r) => controller.envoyRejected(r) });
    port = await server.listen('127.0.0.1', 0);
    const flood = new DeltaAdsClient(port, 'flood');
    closers.push(flood);
    flood.subscribe(CLUSTER_TYPE);
    const first = await flood.next(CLUSTER_TYPE);
    flood.ack(first);
    for (let i = 0; i < 5000; i++)
      flood.send({ type_url: CLUSTER_TYPE, response_nonce: first.nonce, error_detail: { code: 3, message: `refused ${i} ${'x'.repeat(500)}` } });
    await waitFor('every NACK counted', () => metrics.value('splitplane_xds_nacks_total', { type: 'CDS', node: 'flood' }) === 5000, 60_000);
    controller.stop();
    expect(metrics.value('splitplane_xds_nacks_unjudged_total', { type: 'CDS' }), 'NACKs past the budget').to.be.at.least(4900);
    const bytes = logged.join('\n').length;
    expect(bytes, 'log bytes for 5,000 NACKs (was 3-7 MB)').to.be.below(50_000);
  });

  it('peerAddress drops the port and the scheme', () => {
    expect(peerAddress('127.0.0.1:5555')).to.equal('127.0.0.1');
    expect(peerAddress('ipv4:10.0.0.1:80')).to.equal('10.0.0.1');
    expect(peerAddress('[::1]:5555')).to.equal('::1');
    expect(peerAddress('ipv6:[fe80::1]:1')).to.equal('fe80::1');
  });
});
