// Proxyless gRPC clients, end to end: manifests in a folder → splitplane → a real @grpc/grpc-js-xds
// channel dialing `xds:///mini-echo.io`, which splits its RPCs itself over two gRPC backends (old and
// new). No Envoy is involved. Shares are checked with binomial bounds, never exact counts.

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as xds from '@grpc/grpc-js-xds';
import type { App } from '../../src/app.js';
import { CLUSTER_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../src/proto/type-urls.js';
import { freePort } from '../../src/local/http.js';
import { waitFor } from '../../src/local/wait.js';
import type { ClientStatus } from '../../src/xds/client-status.js';
import type { GroupRollout } from '../../src/fleet/rollout.js';
import { ingressManifest, loopbackEndpointSlice, loopbackService, writeObject } from '../support/fixtures.js';
import { converged, startSplitplane, waitForRollout } from '../support/splitplane.js';
import { withinBinomial } from '../support/stats.js';
import { answered, proxylessClient, startGrpcBackend, tallyRpcs, who } from '../support/grpc.js';
import type { GroupTraffic } from '../../src/traffic/figures.js';
import type { RolloutStatus } from '../../src/rollout/driver.js';

describe('integration: proxyless gRPC clients (@grpc/grpc-js-xds) on the blue-green release', function () {
  this.timeout(120_000);
  let dir: string;
  let app: App;
  let backends: Record<string, { port: number; stop: () => Promise<void> }>;
  let client: grpc.Client;
  let canaryClient: grpc.Client | undefined;

  const echo = (paths: string[], annotations: Record<string, string> = {}) =>
    ingressManifest(
      'echo',
      'mini-echo.io',
      paths.map((service) => ({ service })),
      annotations,
    );

  async function apply(file: string, obj: object): Promise<void> {
    const before = app.cache.current();
    writeObject(dir, file, obj as Record<string, unknown>);
    await waitForRollout(app, before);
  }

  /** Applies a change while RPCs flow, 10 at a time until the change is ACKed: not one may fail. */
  async function applyUnderTraffic(file: string, obj: object): Promise<void> {
    let stop = false;
    let sent = 0;
    const failures: string[] = [];
    const worker = async () => {
      for (let i = 0; !stop && i < 100_000; i++) {
        sent++;
        await who(client).catch((e: Error) => failures.push(e.message));
      }
    };
    const workers = Array.from({ length: 10 }, worker);
    await apply(file, obj);
    await waitFor('RPCs after the change', async () => sent > 200, 30_000);
    stop = true;
    await Promise.all(workers);
    expect(failures, `failed RPCs of ${sent} during the change`).to.deep.equal([]);
  }

  before(async () => {
    xds.register();
    backends = { old: await startGrpcBackend('old'), new: await startGrpcBackend('new') };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-grpc-'));
    writeObject(dir, 'backends', [
      loopbackService('old'),
      loopbackService('new'),
      loopbackEndpointSlice('old', backends.old!.port),
      loopbackEndpointSlice('new', backends.new!.port),
    ]);
    writeObject(dir, 'ingress', echo(['old']));
    app = await startSplitplane(dir, await freePort());
    client = proxylessClient('mini-echo.io', app.xdsPort, 'grpc-client-1');
    await waitFor('the first answer through xds:///mini-echo.io', async () => (await who(client).catch(() => '')) === 'old', 30_000);
  });

  after(async () => {
    client?.close();
    canaryClient?.close();
    await app?.stop();
    for (const b of Object.values(backends ?? {})) await b.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the client is a gRPC client, SYNCED, holding the listener named after its target and never Envoy’s', async () => {
    await waitFor('the gRPC client to be in step', () => converged(app), 30_000);
    const clients = (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/clients`)).json()) as ClientStatus[];
    expect(clients).to.have.length(1);
    expect(clients[0]).to.deep.include({ node: 'grpc-client-1', kind: 'grpc', protocol: 'sotw', state: 'SYNCED' });
    expect(clients[0]!.userAgent).to.match(/^gRPC Node/);
    const stream = app.ads.list()[0]!.stream;
    expect([...stream.types[LISTENER_TYPE].applied.keys()]).to.deep.equal(['mini-echo.io']);
    expect([...stream.types[ROUTE_TYPE].applied.keys()]).to.deep.equal(['grpc/mini-echo.io']);
  });

  it('before the release every RPC reaches old', async () => {
    expect(await tallyRpcs(client, 100)).to.deep.equal({ old: 100 });
  });

  it('ingress.aliyun.weight/new: "50" → both backends within 5 sigma of 50 %', async () => {
    await apply('ingress', echo(['old', 'new'], { 'ingress.aliyun.weight/new': '50' }));
    await waitFor('the first RPC to reach new', async () => (await who(client)) === 'new', 30_000);
    const n = 600;
    const counts = await tallyRpcs(client, n);
    const [low, high] = withinBinomial(n, 0.5);
    expect(Object.keys(counts).sort()).to.deep.equal(['new', 'old']);
    expect(counts.new, JSON.stringify(counts)).to.be.within(low, high);
  });

  it('/debug/rollout counts the gRPC client as running the 50/50 split', async () => {
    await waitFor('the gRPC client to be in step', () => converged(app), 30_000);
    const groups = (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/rollout`)).json()) as GroupRollout[];
    const group = groups.find((g) => g.host === 'mini-echo.io');
    expect(group?.text).to.equal(`mini-echo.io/ (Prefix): old 50% / new 50% applied to 1 of 1 connected proxies at version ${group?.versions.grpc} (gRPC RDS)`);
  });

  it('the client reports its load over LRS (lrs_server: self): /debug/traffic counts exactly the RPCs it made, per version', async () => {
    const seen = answered.get(client)!;
    let versions: GroupTraffic['versions'] = [];
    await waitFor(
      "the client's load reports to cover its RPCs",
      async () => {
        const groups = (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/traffic?window=300`)).json()) as GroupTraffic[];
        versions = groups.find((g) => g.host === 'mini-echo.io')?.versions ?? [];
        return ['old', 'new'].every((v) => (versions.find((x) => x.service === v)?.reported ?? 0) >= (seen[v] ?? 0));
      },
      30_000,
    );
    for (const v of ['old', 'new']) {
      const figures = versions.find((x) => x.service === v)!;
      expect([figures.reported, figures.failed, figures.successRate, figures.proxies], v).to.deep.equal([seen[v], 0, 1, 1]);
    }
  });

  it('an automated rollout moves a proxyless gRPC fleet by itself, from what the client reports', async () => {
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop && i < 1_000_000; i++) await who(client).catch(() => undefined);
    })();
    try {
      await apply('ingress', echo(['old', 'new'], { 'splitplane.io/rollout': 'new; steps=50,100; interval=4s; min-requests=20' }));
      await waitFor(
        'the rollout to complete',
        async () => {
          const [r] = (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/rollouts`)).json()) as RolloutStatus[];
          return r?.phase === 'complete';
        },
        60_000,
        250,
      );
      await waitFor('the client to take 100 %', () => converged(app), 30_000);
      await waitFor('RPCs to stop reaching old', async () => !('old' in (await tallyRpcs(client, 20))), 30_000);
    } finally {
      stop = true;
      await load;
    }
    // Back to the manual 50/50 the next steps start from (the rollout ends with its annotation).
    await apply('ingress', echo(['old', 'new'], { 'ingress.aliyun.weight/new': '50' }));
  });

  it('"100" → every RPC reaches new; no RPC fails across the change', async () => {
    await applyUnderTraffic('ingress', echo(['old', 'new'], { 'ingress.aliyun.weight/new': '100' }));
    await waitFor('RPCs to stop reaching old', async () => !('old' in (await tallyRpcs(client, 20))), 30_000);
    expect(await tallyRpcs(client, 200)).to.deep.equal({ new: 200 });
  });

  it('an ingress-nginx canary-by-header reaches gRPC as metadata; a target with a port is served', async () => {
    writeObject(dir, 'canary-main', ingressManifest('canary-main', 'canary.test', [{ service: 'old' }]));
    await apply(
      'canary',
      ingressManifest('canary', 'canary.test', [{ service: 'new' }], {
        'nginx.ingress.kubernetes.io/canary': 'true',
        'nginx.ingress.kubernetes.io/canary-by-header': 'x-canary',
      }),
    );
    canaryClient = proxylessClient('canary.test:50051', app.xdsPort, 'grpc-client-2');
    await waitFor('the first answer through xds:///canary.test:50051', async () => (await who(canaryClient!).catch(() => '')) === 'old', 30_000);
    expect(await tallyRpcs(canaryClient, 40, { 'x-canary': 'always' })).to.deep.equal({ new: 40 });
    expect(await tallyRpcs(canaryClient, 40, { 'x-canary': 'never' })).to.deep.equal({ old: 40 });
    expect(await tallyRpcs(canaryClient, 40)).to.deep.equal({ old: 40 });
  });

  // The client unsubscribed from old's cluster at 100 %; it must be sent again now (xDS rule 5).
  it('a sticky split says, as a diagnostic on its Ingress, that gRPC clients are split per RPC', async () => {
    await apply('ingress', echo(['old', 'new'], { 'ingress.aliyun.weight/new': '50', 'splitplane.io/sticky-cookie': 'sp-version' }));
    const diagnostics = (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/diagnostics`)).json()) as Array<{
      object: { name: string };
      message: string;
    }>;
    const said = diagnostics.find((d) => d.object.name === 'echo' && /gRPC/.test(d.message));
    expect(said?.message).to.contain('keep no cookies');
    // And the gRPC client still gets both versions, per RPC.
    const counts = await tallyRpcs(client, 200);
    expect(Object.keys(counts).sort()).to.deep.equal(['new', 'old']);
  });

  it('the release finishes: the annotation and old removed, every RPC reaches new, none fails across the change', async () => {
    await applyUnderTraffic('ingress', echo(['new']));
    expect(await tallyRpcs(client, 100)).to.deep.equal({ new: 100 });
    const stream = app.ads.list().find((s) => s.stream.node?.id === 'grpc-client-1')!.stream;
    // The client stops asking for old's cluster once no route names it (canary.test's routes still do,
    // for the other client).
    await waitFor("the client to drop old's cluster", () => !stream.types[CLUSTER_TYPE].names.has('default/old/80'), 30_000);
  });
});
