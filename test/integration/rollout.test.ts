// Progressive delivery through a real Envoy: each version's live traffic comes back from Envoy's load
// reports (LRS), and one `splitplane.io/rollout` annotation walks new-nginx forward by itself, or takes
// it out of traffic when it fails. Shares and rates are checked with binomial bounds, never exact.

import { expect } from 'chai';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import type { App } from '../../src/app.js';
import { localExample, blueGreenIngress, writeIngress } from '../../src/local/example.js';
import { startEnvoy, type EnvoyProcess } from '../../src/local/envoy.js';
import { freePort, get, startBackend, type Backend } from '../../src/local/http.js';
import { sleep, waitFor } from '../../src/local/wait.js';
import { converged, startSplitplane } from '../support/splitplane.js';
import { withinBinomial } from '../support/stats.js';
import type { GroupTraffic } from '../../src/traffic/figures.js';
import type { RolloutStatus } from '../../src/rollout/driver.js';
import type { DashboardData } from '../../src/admin/dashboard-data.js';
import { runStatus } from '../../src/cli/status.js';

const HOST = 'mini-echo.io';
const REPORT_MS = 1000;

/** A backend answering `body`; while `failing`, every tenth request gets a 500 (`<body> failed`); each answer waits `delayMs`. */
async function flakyBackend(body: string): Promise<Backend & { failing: boolean; failed: number; delayMs: number }> {
  const backend = { port: 0, hits: 0, failing: false, failed: 0, delayMs: 0, close: (): Promise<void> => Promise.resolve() };
  const server = http.createServer((req, res) => {
    backend.hits++;
    req.resume();
    const fail = backend.failing && backend.hits % 10 === 0;
    if (fail) backend.failed++;
    const answer = () => {
      res.writeHead(fail ? 500 : 200, { 'content-type': 'text/plain' });
      res.end(fail ? `${body} failed\n` : `${body}\n`);
    };
    if (backend.delayMs > 0) setTimeout(answer, backend.delayMs);
    else answer();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.port = (server.address() as net.AddressInfo).port;
  backend.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return backend;
}

/** Requests in a loop until stopped (bounded), counting answers by body and status. */
function load(port: number, concurrency = 4, maxMs = 90_000) {
  const started = Date.now();
  let stopped = false;
  const answers = new Map<string, number>();
  const errors: string[] = [];
  let firstFailureAt: number | undefined;
  const worker = async () => {
    while (!stopped && Date.now() - started < maxMs) {
      try {
        const r = await get(port, HOST);
        const key = `${r.status} ${r.body.trim()}`;
        answers.set(key, (answers.get(key) ?? 0) + 1);
        if (r.status !== 200) firstFailureAt ??= Date.now();
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
  };
  const done = Promise.all(Array.from({ length: concurrency }, worker));
  return {
    answers,
    errors,
    firstFailureAt: () => firstFailureAt,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

async function json<T>(app: App, page: string): Promise<T> {
  return (await (await fetch(`http://127.0.0.1:${app.adminPort}${page}`)).json()) as T;
}

describe('integration: progressive delivery through a real Envoy @envoy', function () {
  this.timeout(180_000);
  let old: Awaited<ReturnType<typeof flakyBackend>>;
  let fresh: Awaited<ReturnType<typeof flakyBackend>>;
  let fallback: Backend;
  let dir: string;
  let app: App;
  let envoy: EnvoyProcess;
  let httpPort: number;

  before(async () => {
    old = await flakyBackend('old');
    fresh = await flakyBackend('new');
    fallback = await startBackend('default backend', 404);
    dir = localExample({ 'old-nginx': old.port, 'new-nginx': fresh.port, 'default-http-backend': fallback.port });
    writeIngress(dir, blueGreenIngress({ kind: 'weight', percent: '50' }));
    httpPort = await freePort();
    app = await startSplitplane(dir, httpPort, undefined, { loadReportIntervalMs: REPORT_MS });
    envoy = await startEnvoy({ xdsPort: app.xdsPort, adminPort: await freePort() });
    await waitFor('Envoy to serve mini-echo.io', () => converged(app), 30_000);
    await waitFor('the first answer', async () => (await get(httpPort, HOST)).status === 200, 30_000);
  });

  after(async () => {
    await envoy?.stop();
    await app?.stop();
    for (const b of [old, fresh, fallback]) await b?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the figures Envoy reports match what the client saw: requests per version, and new's success rate", async () => {
    fresh.failing = true;
    const traffic = load(httpPort);
    await waitFor('400 answers', () => [...traffic.answers.values()].reduce((a, b) => a + b, 0) >= 400, 60_000);
    await traffic.stop();
    fresh.failing = false;
    // Every request either backend ever answered (this app started within the five-minute window).
    const seen = { old: old.hits, new: fresh.hits };
    const failed = traffic.answers.get('500 new failed') ?? 0;
    expect(traffic.errors).to.deep.equal([]);
    // The split itself: new's share within 5 sigma of 50 %.
    const [low, high] = withinBinomial(seen.old + seen.new, 0.5);
    expect(seen.new).to.be.within(low, high);
    // Envoy counts every request it forwarded; its reports arrive within a report interval or two.
    let reported: GroupTraffic['versions'] = [];
    await waitFor(
      'the load reports to cover every request',
      async () => {
        const groups = await json<GroupTraffic[]>(app, '/debug/traffic?window=300');
        reported = groups.find((g) => g.host === HOST && g.path === '/')?.versions ?? [];
        const of = (s: string) => reported.find((v) => v.service === s)?.reported ?? 0;
        return of('old-nginx') >= seen.old && of('new-nginx') >= seen.new;
      },
      20_000,
    );
    const version = (s: string) => reported.find((v) => v.service === s)!;
    expect(version('old-nginx').reported).to.equal(seen.old);
    expect(version('new-nginx').reported).to.equal(seen.new);
    expect(version('old-nginx').successRate).to.equal(1);
    // new failed every tenth of its requests: the reported rate is the client's own, and within
    // binomial bounds of 90 % (the 500s went where the weights sent them).
    expect(version('new-nginx').failed).to.equal(fresh.failed);
    expect(fresh.failed).to.equal(failed);
    const [fLow, fHigh] = withinBinomial(seen.new, 0.1);
    expect(failed).to.be.within(fLow, fHigh);
    expect(version('new-nginx').successRate).to.be.closeTo(1 - failed / seen.new, 1e-9);
    const metrics = await (await fetch(`http://127.0.0.1:${app.adminPort}/metrics`)).text();
    expect(
      metrics,
      metrics
        .split('\n')
        .filter((l) => l.startsWith('splitplane_version'))
        .join('\n'),
    ).to.match(/splitplane_version_requests_per_second\{ingress="default\/echo",host="mini-echo.io",path="\/",version="new-nginx"\} [1-9]/);
    expect(metrics).to.match(/splitplane_load_reports_total\{result="taken"\} [1-9]/);
  });

  it('new fails 10 % at the 25 % step: splitplane aborts by itself within two report intervals, and no request to old fails', async () => {
    fresh.failing = true;
    const traffic = load(httpPort);
    writeIngress(dir, blueGreenIngress({ kind: 'rollout', spec: 'new-nginx; steps=25,50,100; interval=30s; min-success=99%; min-requests=20; threshold=2' }));
    let status: RolloutStatus | undefined;
    await waitFor(
      'the rollout to abort',
      async () => {
        status = (await json<RolloutStatus[]>(app, '/debug/rollouts'))[0];
        return status?.phase === 'aborted';
      },
      60_000,
    );
    const abortedAt = Date.now();
    // Two failed checks, one per report interval, once new had its 20 requests: allow for this
    // machine's stalls on top (they hold Envoy's reports as well as our checks).
    const firstFailure = traffic.firstFailureAt();
    expect(firstFailure, 'a request to new failed').to.not.equal(undefined);
    expect(abortedAt - firstFailure!, 'from the first failed request to the abort').to.be.below(2 * REPORT_MS + 4000);
    expect(status!.basisPoints).to.equal(0);
    expect(status!.reason, status!.reason).to.match(/success rate (8|9)\d(\.\d+)?% over \d+ requests is below min-success 99%/);
    // Everything is back on old: once every proxy runs the abort's weights, new gets nothing.
    await waitFor('Envoy to run the abort weights', () => converged(app), 30_000);
    await sleep(500);
    const newBefore = fresh.hits;
    await sleep(1500);
    await traffic.stop();
    fresh.failing = false;
    expect(fresh.hits - newBefore, 'requests that reached new after the abort').to.equal(0);
    expect(traffic.errors).to.deep.equal([]);
    const failures = [...traffic.answers].filter(([k]) => !k.startsWith('200 '));
    expect(
      failures.every(([k]) => k === '500 new failed'),
      JSON.stringify(failures),
    ).to.equal(true);
    expect(old.failed).to.equal(0);

    // The reason, with the measured rate, on the dashboard and in `splitplane status`.
    const dashboard = await json<DashboardData>(app, '/debug/dashboard');
    expect(JSON.stringify(dashboard.rollouts)).to.match(/aborted at 25%: new-nginx success rate (8|9)\d/);
    const out: string[] = [];
    const code = await runStatus(
      { admin: `http://127.0.0.1:${app.adminPort}` },
      (t) => out.push(t),
      (t) => out.push(t),
    );
    expect(code).to.equal(1);
    expect(out.join(''), out.join('')).to.match(/ABORTED step 1 of 3, new-nginx at 0%: aborted at 25%: new-nginx success rate (8|9)\d/);
    const diagnostics = await json<Array<{ severity: string; field: string; message: string }>>(app, '/debug/diagnostics');
    expect(
      diagnostics.some((d) => d.severity === 'warning' && d.field === 'metadata.annotations["splitplane.io/rollout"]' && /aborted at 25%/.test(d.message)),
    ).to.equal(true);
  });

  it("new answers in 150 ms against a max-p99 of 100 ms: the p99 from Envoy's request-time histograms aborts it", async () => {
    fresh.delayMs = 150;
    const traffic = load(httpPort, 8);
    try {
      writeIngress(dir, blueGreenIngress({ kind: 'rollout', spec: 'new-nginx; steps=25,100; interval=60s; max-p99=100ms; min-requests=20; threshold=2' }));
      let status: RolloutStatus | undefined;
      await waitFor(
        'the rollout to abort on latency',
        async () => {
          status = (await json<RolloutStatus[]>(app, '/debug/rollouts'))[0];
          // The rollout of this spec, not the one the last test left aborted.
          return status?.phase === 'aborted' && status.spec.includes('p99 ≤ 100 ms');
        },
        60_000,
      );
      expect(status!.reason).to.match(/new-nginx p99 latency \d+ ms is above max-p99 100 ms/);
      const groups = await json<GroupTraffic[]>(app, '/debug/traffic');
      const versions = groups.find((g) => g.host === HOST)!.versions;
      expect(versions.find((v) => v.service === 'new-nginx')!.p99Ms).to.be.within(100, 260);
      expect(versions.find((v) => v.service === 'old-nginx')!.p99Ms).to.be.below(100);
    } finally {
      fresh.delayMs = 0;
      await traffic.stop();
    }
    expect(traffic.errors).to.deep.equal([]);
  });

  it('both versions healthy: the rollout walks 25 → 50 → 100 % by itself with no failed request', async () => {
    fresh.failing = false;
    const traffic = load(httpPort);
    // A new spec text is a new rollout: the aborted one is left behind.
    writeIngress(dir, blueGreenIngress({ kind: 'rollout', spec: 'new-nginx; steps=25,50,100; interval=3s; min-success=99%; min-requests=10' }));
    const phases = new Set<string>();
    let status: RolloutStatus | undefined;
    await waitFor(
      'the rollout to complete',
      async () => {
        status = (await json<RolloutStatus[]>(app, '/debug/rollouts'))[0];
        if (status) phases.add(`${status.phase} ${status.basisPoints}`);
        return status?.phase === 'complete';
      },
      90_000,
      200,
    );
    await waitFor('Envoy to run 100 %', () => converged(app), 30_000);
    await sleep(500);
    const oldBefore = old.hits;
    await sleep(1000);
    await traffic.stop();
    expect(traffic.errors).to.deep.equal([]);
    expect([...traffic.answers.keys()].filter((k) => !k.startsWith('200 '))).to.deep.equal([]);
    expect(status!.basisPoints).to.equal(10000);
    expect(status!.reason).to.match(/complete at 100%.*make it permanent in the manifest/);
    expect([...phases]).to.include.members(['progressing 2500', 'progressing 5000']);
    expect(old.hits - oldBefore, 'requests to old once new has 100 %').to.equal(0);
  });
});
