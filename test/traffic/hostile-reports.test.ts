// Load reports are untrusted input (docs/safety.md, "Load reports"): a client that invents failures
// must not abort a healthy rollout, one that invents successes must not promote a failing one, and a
// client without an ADS stream, or one not running the routes, is not heard at all.

import { expect } from 'chai';
import fs from 'node:fs';
import type { App } from '../../src/app.js';
import { blueGreenIngress, localExample, writeIngress } from '../../src/local/example.js';
import { freePort } from '../../src/local/http.js';
import { sleep, waitFor } from '../../src/local/wait.js';
import type { RolloutStatus } from '../../src/rollout/driver.js';
import { startSplitplane } from '../support/splitplane.js';
import { ackingClient, type AdsClient } from '../support/ads-client.js';
import { LrsClient } from '../support/lrs-client.js';

const OLD = 'default/old-nginx/80';
const NEW = 'default/new-nginx/80';

describe('traffic: hostile load reports', function () {
  this.timeout(120_000);
  let dir: string;
  let app: App;
  const open: Array<AdsClient | LrsClient> = [];

  beforeEach(async () => {
    dir = localExample({ 'old-nginx': 1, 'new-nginx': 2, 'default-http-backend': 3 });
    writeIngress(dir, blueGreenIngress({ kind: 'before' }));
    app = await startSplitplane(dir, await freePort(), undefined, { loadReportIntervalMs: 1000 });
  });

  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await app?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Three honest proxies and a liar, each with its ADS stream (ACKing every change) and its LRS stream. */
  async function fleet(): Promise<{ honest: LrsClient[]; liar: LrsClient }> {
    const lrs: LrsClient[] = [];
    for (const node of ['envoy-1', 'envoy-2', 'envoy-3', 'liar']) {
      open.push(await ackingClient(app.xdsPort, node));
      const client = new LrsClient(app.xdsPort, node);
      open.push(client);
      await client.ready();
      lrs.push(client);
    }
    return { honest: lrs.slice(0, 3), liar: lrs[3]! };
  }

  /** Reports every 600 ms (the server takes one per proxy per half interval) until `done` or the deadline. */
  async function reportUntil(done: () => Promise<boolean>, each: () => void, what: string): Promise<void> {
    await waitFor(
      what,
      async () => {
        each();
        await sleep(600);
        return done();
      },
      60_000,
      0,
    ).catch(async (error: Error) => {
      const [r] = await rollout();
      const traffic = await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/traffic`)).text();
      throw new Error(`${error.message}; rollout: ${JSON.stringify(r)}; traffic: ${traffic.slice(0, 1500)}`);
    });
  }

  const rollout = async () => (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/rollouts`)).json()) as RolloutStatus[];

  it('a client inventing failures does not abort a healthy rollout: it reaches 100 %', async () => {
    const { honest, liar } = await fleet();
    writeIngress(dir, blueGreenIngress({ kind: 'rollout', spec: 'new-nginx; steps=50,100; interval=2s; min-requests=30; threshold=1' }));
    const phases: string[] = [];
    await reportUntil(
      async () => {
        const [r] = await rollout();
        if (r) phases.push(r.phase);
        return r?.phase === 'complete' || r?.phase === 'aborted';
      },
      () => {
        for (const h of honest)
          h.report([
            { cluster: NEW, succeeded: 20 },
            { cluster: OLD, succeeded: 20 },
          ]);
        liar.report([{ cluster: NEW, failed: 1_000_000 }]);
      },
      'the rollout to end',
    );
    expect(phases).to.not.include('aborted');
    expect((await rollout())[0]!.phase).to.equal('complete');
  });

  it('a client inventing successes does not promote a failing version: it is aborted', async () => {
    const { honest, liar } = await fleet();
    writeIngress(dir, blueGreenIngress({ kind: 'rollout', spec: 'new-nginx; steps=50,100; interval=2s; min-requests=30; threshold=1' }));
    await reportUntil(
      async () => ['complete', 'aborted'].includes((await rollout())[0]?.phase ?? ''),
      () => {
        for (const h of honest)
          h.report([
            { cluster: NEW, succeeded: 16, failed: 4 },
            { cluster: OLD, succeeded: 20 },
          ]);
        liar.report([{ cluster: NEW, succeeded: 1_000_000 }]);
      },
      'the rollout to end',
    );
    const [r] = await rollout();
    expect(r!.phase).to.equal('aborted');
    expect(r!.reason).to.match(/success rate 80% over \d+ requests is below min-success 99%/);
  });

  it('reports from a client with no ADS stream of its node and address are not counted', async () => {
    const stranger = new LrsClient(app.xdsPort, 'nobody');
    open.push(stranger);
    await stranger.ready();
    stranger.report([{ cluster: OLD, failed: 500 }]);
    await waitFor('the report to be refused', () => app.metrics.value('splitplane_load_reports_total', { result: 'no-ads-stream' }) >= 1, 10_000);
    expect(app.metrics.value('splitplane_load_reports_total', { result: 'taken' })).to.equal(0);
  });

  it('a first message without a node ends the stream with INVALID_ARGUMENT', async () => {
    const anonymous = new LrsClient(app.xdsPort, '', false);
    open.push(anonymous);
    await waitFor('the stream to be refused', () => anonymous.error, 10_000);
    expect(anonymous.error!.code).to.equal(3);
    expect(anonymous.error!.details).to.match(/must carry the node/);
  });
});
