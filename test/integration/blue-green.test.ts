// The blue-green release, end to end: manifests in a folder → splitplane → a real Envoy → two
// HTTP backends answering old and new. Shares are checked with binomial bounds, never exact counts.

import { expect } from 'chai';
import fs from 'node:fs';
import type { App } from '../../src/app.js';
import { ROUTE_TYPE } from '../../src/proto/type-urls.js';
import { localExample, blueGreenIngress, writeIngress } from '../../src/local/example.js';
import { startEnvoy, type EnvoyProcess } from '../../src/local/envoy.js';
import { freePort, startBackend, tally, type Backend } from '../../src/local/http.js';
import { rejections } from '../support/envoy-stats.js';
import { steadyTraffic } from '../support/traffic.js';
import { converged, startSplitplane, waitForRollout } from '../support/splitplane.js';
import { sleep, waitFor } from '../../src/local/wait.js';
import { withinBinomial } from '../support/stats.js';
import type { ClientStatus } from '../../src/xds/client-status.js';
import type { GroupRollout } from '../../src/fleet/rollout.js';
import { parsePrometheus, sampleValue } from '../support/prometheus.js';

const HOST = 'mini-echo.io';

for (const protocol of ['sotw', 'delta'] as const)
  describe(`integration: the blue-green walkthrough through a real Envoy (${protocol === 'sotw' ? 'State of the World' : 'Delta xDS, routes per host'}) @envoy`, function () {
    this.timeout(120_000);
    let backends: Record<string, Backend>;
    let dir: string;
    let app: App;
    let envoy: EnvoyProcess;
    let httpPort: number;

    before(async () => {
      backends = { old: await startBackend('old'), new: await startBackend('new'), default: await startBackend('default backend', 404) };
      dir = localExample({ 'old-nginx': backends.old!.port, 'new-nginx': backends.new!.port, 'default-http-backend': backends.default!.port });
      writeIngress(dir, blueGreenIngress({ kind: 'before' }));
      httpPort = await freePort();
      app = await startSplitplane(dir, httpPort);
      envoy = await startEnvoy({ xdsPort: app.xdsPort, adminPort: await freePort(), protocol });
      await waitFor('Envoy to serve mini-echo.io', () => converged(app), 30_000);
      await waitFor('the first answer from old', async () => (await tally(httpPort, HOST, 1)).get('old') === 1, 30_000);
    });

    after(async () => {
      await envoy?.stop();
      await app?.stop();
      for (const b of Object.values(backends ?? {})) await b.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    /** Applies an Ingress while traffic flows; no request may fail across the transition. */
    async function transition(text: string): Promise<void> {
      const before = app.cache.current();
      const traffic = steadyTraffic(httpPort, HOST, { maxMs: 30_000 });
      await sleep(200);
      writeIngress(dir, text);
      await waitForRollout(app, before);
      // RDS is ACKed on Envoy's main thread; give the workers a moment to pick it up.
      await sleep(300);
      const { requests, failures } = await traffic.stop();
      expect(requests, 'requests sent during the transition').to.be.greaterThan(10);
      expect(failures, `failed requests during the transition (of ${requests})`).to.deep.equal([]);
    }

    it('/debug/clients shows the real Envoy SYNCED from its own ACKs, with its kind and version', async () => {
      const clients = (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/clients`)).json()) as ClientStatus[];
      expect(clients).to.have.length(1);
      expect(clients[0]).to.deep.include({ kind: 'envoy', protocol, state: 'SYNCED' });
      expect(clients[0]!.userAgent).to.match(/^envoy 1\.40\.\d+$/);
      for (const t of Object.values(clients[0]!.types)) expect(t.acked, JSON.stringify(t)).to.equal(t.sent?.version);
      const one = (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/clients/${encodeURIComponent(clients[0]!.node)}`)).json()) as {
        streams: ClientStatus[];
      };
      expect(one.streams[0]!.state).to.equal('SYNCED');
    });

    it('before the release every request reaches old', async () => {
      const counts = await tally(httpPort, HOST, 200);
      expect(Object.fromEntries(counts)).to.deep.equal({ old: 200 });
    });

    it('requests that match no rule reach the default backend', async () => {
      const counts = await tally(httpPort, 'unknown.example', 20);
      expect(Object.fromEntries(counts)).to.deep.equal({ 'status:404:default backend': 20 });
    });

    it('step 1, new-nginx at 50: the new share of 2,000 requests is within 5 sigma of half', async () => {
      await transition(blueGreenIngress({ kind: 'weight', percent: '50' }));
      const counts = await tally(httpPort, HOST, 2000);
      const [low, high] = withinBinomial(2000, 0.5);
      expect([...counts.keys()].sort()).to.deep.equal(['new', 'old']);
      expect(counts.get('new')).to.be.within(low, high);
      expect((counts.get('new') ?? 0) + (counts.get('old') ?? 0)).to.equal(2000);
    });

    it('after step 1, /metrics (scraped and parsed) counts the fleet, pushes, bytes, ACK latency, builds, objects and the process', async () => {
      const res = await fetch(`http://127.0.0.1:${app.adminPort}/metrics`);
      expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
      const { samples, types } = parsePrometheus(await res.text());
      expect(sampleValue(samples, 'splitplane_xds_clients', { kind: 'envoy' })).to.equal(1);
      expect(sampleValue(samples, 'splitplane_xds_clients', { kind: 'grpc' })).to.equal(0);
      expect(sampleValue(samples, 'splitplane_xds_responses_total', { type: 'CDS' })).to.be.greaterThan(0);
      expect(sampleValue(samples, 'splitplane_xds_response_bytes_total', { type: 'CDS' })).to.be.greaterThan(100);
      expect(sampleValue(samples, 'splitplane_xds_ack_latency_seconds_count', { type: 'CDS' })).to.be.greaterThan(0);
      expect(sampleValue(samples, 'splitplane_build_duration_seconds_count')).to.be.greaterThan(0);
      expect(sampleValue(samples, 'splitplane_objects', { kind: 'Ingress' })).to.equal(1);
      expect(sampleValue(samples, 'splitplane_diagnostics', { severity: 'error' })).to.equal(0);
      expect(types.get('splitplane_xds_nacks_total')).to.equal('counter');
      expect(types.get('splitplane_xds_ack_latency_seconds')).to.equal('histogram');
      expect(types.get('process_cpu_seconds_total')).to.equal('counter');
      for (const name of types.keys()) expect(name, 'Prometheus naming').to.match(/^[a-z_:][a-z0-9_:]*$/);
    });

    it('after step 1, /debug/rollout says the 50/50 weights are applied to 1 of 1 connected proxies', async () => {
      const groups = (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/rollout`)).json()) as GroupRollout[];
      const group = groups.find((g) => g.host === HOST)!;
      // The version the proxy was counted against: the whole configuration for SotW, the host's own for Delta.
      const [version, type] = protocol === 'sotw' ? [group.versions.whole, 'RDS'] : [group.versions.perHost, 'VHDS'];
      expect(group.text).to.equal(
        `mini-echo.io/ (ImplementationSpecific): old-nginx 50% / new-nginx 50% applied to 1 of 1 connected proxies at version ${version} (${type})`,
      );
    });

    for (const bad of ['abc', '150']) {
      it(`a bad weight ${JSON.stringify(bad)} is a diagnostic and the 50/50 split keeps serving`, async () => {
        const version = app.cache.current()?.version(ROUTE_TYPE);
        writeIngress(dir, blueGreenIngress({ kind: 'weight', percent: bad }));
        const res = await waitFor(
          'the diagnostic on the admin endpoint',
          async () => {
            const list = (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/diagnostics`)).json()) as Array<{
              severity: string;
              field: string;
              object: { name: string };
            }>;
            return list.find(
              (d) => d.severity === 'error' && d.field === 'metadata.annotations["ingress.aliyun.weight/new-nginx"]' && d.object.name === 'echo',
            );
          },
          30_000,
        );
        expect(res).to.exist;
        expect(app.cache.current()?.version(ROUTE_TYPE)).to.equal(version);
        const counts = await tally(httpPort, HOST, 2000);
        const [low, high] = withinBinomial(2000, 0.5);
        expect(counts.get('new')).to.be.within(low, high);
        writeIngress(dir, blueGreenIngress({ kind: 'weight', percent: '50' }));
        await waitFor('the diagnostic to clear', () => app.controller.diagnostics().every((d) => d.severity !== 'error'), 30_000);
      });
    }

    it('step 2, new-nginx at 100: every request reaches new', async () => {
      await transition(blueGreenIngress({ kind: 'weight', percent: '100' }));
      const counts = await tally(httpPort, HOST, 1000);
      expect(Object.fromEntries(counts)).to.deep.equal({ new: 1000 });
    });

    it('step 3, annotation and old backend removed: every request reaches new', async () => {
      await transition(blueGreenIngress({ kind: 'finished' }));
      const counts = await tally(httpPort, HOST, 1000);
      expect(Object.fromEntries(counts)).to.deep.equal({ new: 1000 });
      const clusters = [...app.cache.current()!.type('type.googleapis.com/envoy.config.cluster.v3.Cluster').resources.keys()];
      expect(clusters).to.not.include('default/old-nginx/80');
    });

    it('Envoy never rejected a configuration (its own counters) and splitplane saw no NACK', async () => {
      const stats = await envoy.stats();
      expect(stats.get('cluster_manager.cds.update_success')).to.be.greaterThan(0);
      expect(stats.get('listener_manager.lds.update_success')).to.be.greaterThan(0);
      expect(rejections(stats), envoy.logTail()).to.deep.equal({});
      expect(['CDS', 'EDS', 'LDS', 'RDS', 'VHDS'].map((type) => app.metrics.value('splitplane_xds_nacks_total', { type })).reduce((a, b) => a + b)).to.equal(0);
      const streams = app.ads.list().map((s) => s.stream.protocol);
      expect(streams).to.deep.equal([protocol]);
      // Over Delta the weights came per host, by VHDS: the first routes, 50 and 100 (the finished
      // release routes as 100 did).
      if (protocol === 'delta') expect(stats.get('http.ingress_http.rds.vhds.ingress_http.config_reload'), envoy.logTail()).to.be.at.least(3);
    });
  });
