// The initial sync of a large cluster from a real kube-apiserver and etcd, with the ServiceAccount of
// deploy/rbac.yaml: 10,000 Ingresses, 20,000 Services and 20,000 EndpointSlices (test/support/large-world.ts)
// are listed and watched, the first snapshot holds every host, cluster and endpoint, and an edit made
// after the sync reaches an ADS client. The time to the first snapshot and the memory are printed, not
// asserted (the machine stalls at random); `npm run bench:kube-sync` measures them over several rounds.

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from '../../src/app.js';
import { waitFor } from '../../src/local/wait.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../../src/proto/type-urls.js';
import type { ProtoJson } from '../../src/xds/messages.js';
import { AdsClient } from '../support/ads-client.js';
import type { Json } from '../support/json.js';
import { startRealApiServer, type RealApiServer } from '../support/kube-apiserver.js';
import { createLargeWorld, largeHost, largeService, LARGE_NAMESPACE } from '../support/large-world.js';
import { startKubeReplica } from '../support/splitplane.js';

const INGRESSES = 10_000;
type Obj = Record<string, Json>;

interface WeightedRoute {
  route?: { weighted_clusters?: { clusters: Array<{ name: string; weight: number }> } };
}

/** The weights of a host's first route in an ingress_http route configuration, by cluster. */
function weightsOf(routeConfiguration: ProtoJson | undefined, host: string): Record<string, number> {
  const vhosts = (routeConfiguration?.virtual_hosts ?? []) as Array<{ domains: string[]; routes: WeightedRoute[] }>;
  const vhost = vhosts.find((v) => v.domains.includes(host));
  return Object.fromEntries((vhost?.routes[0]?.route?.weighted_clusters?.clusters ?? []).map((c) => [c.name, c.weight]));
}

describe('kube: the initial sync of 10,000 Ingresses, 20,000 Services and 20,000 EndpointSlices from a real kube-apiserver @cluster', function () {
  this.timeout(900_000);
  let dir: string;
  let api: RealApiServer;
  let app: App | undefined;
  let client: AdsClient | undefined;
  const saved = process.env.POD_NAMESPACE;
  const say = (line: string) => process.stdout.write(`      ${line}\n`);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-large-sync-'));
    api = await startRealApiServer(dir);
    process.env.POD_NAMESPACE = 'splitplane';
    const t0 = performance.now();
    say(`creating ${INGRESSES * 5} objects on the API server (about a minute)`);
    await createLargeWorld(api.admin, INGRESSES, (n, total) => {
      if (n % 10_000 === 0) say(`created ${n} of ${total} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    });
  });
  after(async () => {
    client?.close();
    await app?.stop();
    await api?.stop();
    if (saved === undefined) delete process.env.POD_NAMESPACE;
    else process.env.POD_NAMESPACE = saved;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the first snapshot holds every host, cluster and endpoint; the time and memory it took are printed', async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    const started = performance.now();
    app = await startKubeReplica(api.serviceAccountKubeconfig);
    await waitFor('the first snapshot', () => app!.cache.current(), 300_000, 5);
    const syncedMs = performance.now() - started;
    const snapshot = app.cache.current()!;
    global.gc?.();
    const memory = process.memoryUsage();
    say(
      `initial sync → first snapshot: ${(syncedMs / 1000).toFixed(1)} s (target ≤ 10 s); RSS ${(memory.rss / 2 ** 20).toFixed(0)} MiB (+${((memory.rss - before) / 2 ** 20).toFixed(0)} MiB), heap ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(snapshot.type(VIRTUAL_HOST_TYPE).resources.size, 'hosts').to.equal(INGRESSES);
    expect(snapshot.type(CLUSTER_TYPE).resources.size, 'clusters').to.equal(2 * INGRESSES);
    expect(snapshot.type(ENDPOINT_TYPE).resources.size, 'endpoint assignments').to.equal(2 * INGRESSES);
    const errors = app.controller.diagnostics().filter((d) => d.severity === 'error');
    expect(errors, 'no object was refused').to.deep.equal([]);
  });

  it('an ADS client is served the whole of it, and an edit made after the sync reaches it', async () => {
    client = new AdsClient(app!.xdsPort, 'envoy-large');
    const last = INGRESSES - 1;
    const names = [`${LARGE_NAMESPACE}/${largeService(0, 'a')}/80`, `${LARGE_NAMESPACE}/${largeService(last, 'b')}/80`];
    const t0 = performance.now();
    const at = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
    client.subscribe(ENDPOINT_TYPE, names);
    const endpoints = await client.next(ENDPOINT_TYPE, 60_000);
    say(`endpoints served at ${at()}`);
    client.ack(endpoints, names);
    const addresses = (r: Obj) =>
      ((r.endpoints as Obj[]) ?? []).flatMap((l) => (l.lb_endpoints as Obj[]).map((e) => ((e.endpoint as Obj).address as Obj).socket_address as Obj));
    expect(endpoints.resources.map((r: Obj) => [r.cluster_name, addresses(r).length])).to.have.deep.members(names.map((n) => [n, 2]));
    client.subscribe(ROUTE_TYPE, ['ingress_http']);
    const routes = await client.next(ROUTE_TYPE, 60_000);
    say(`routes served at ${at()}`);
    client.ack(routes, ['ingress_http']);
    expect(routes.resources[0]?.virtual_hosts).to.have.length(INGRESSES);
    const b = `${LARGE_NAMESPACE}/${largeService(last, 'b')}/80`;
    expect(weightsOf(routes.resources[0], largeHost(last))[b]).to.equal(5000);

    const path = `/apis/networking.k8s.io/v1/namespaces/${LARGE_NAMESPACE}/ingresses/app-${last}`;
    await api.admin.expect(
      'PATCH',
      path,
      { metadata: { annotations: { [`ingress.aliyun.weight/${largeService(last, 'b')}`]: '80' } } },
      'application/merge-patch+json',
    );
    for (;;) {
      const next = await client.next(ROUTE_TYPE, 60_000);
      client.ack(next, ['ingress_http']);
      if (weightsOf(next.resources[0], largeHost(last))[b] === 8000) break;
    }
    say(`the edit served at ${at()}`);
  });
});
