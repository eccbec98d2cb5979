// The cluster suite: splitplane in Kubernetes mode as a user sees it, through kubectl's eyes: an edit
// reaches a connected Envoy (an ADS client), `kubectl get ingress` shows an ADDRESS written by one of
// two replicas, another class's Ingress gets none, and a bad weight is an Event on the Ingress.
// By default it runs against a real kube-apiserver the test starts on loopback, with splitplane holding
// only the token of deploy/rbac.yaml's ServiceAccount; with SPLITPLANE_E2E_KUBECONFIG=FILE the very same
// tests run against that cluster (in a namespace of their own, deleted afterwards).

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from '../../src/app.js';
import { waitFor } from '../../src/local/wait.js';
import { ROUTE_TYPE } from '../../src/proto/type-urls.js';
import { AdsClient } from '../support/ads-client.js';
import { testCluster, type TestCluster } from '../support/cluster.js';
import { startKubeReplica } from '../support/splitplane.js';
import { ingressManifest, clusterBackends } from '../support/fixtures.js';
import type { Json } from '../support/json.js';

const W = 'ingress.aliyun.weight/new-nginx';

describe('e2e: splitplane in a cluster (a real API server on loopback, or SPLITPLANE_E2E_KUBECONFIG) @cluster', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let dir: string;
  const apps: App[] = [];
  const clients: AdsClient[] = [];
  const savedNamespace = process.env.POD_NAMESPACE;
  const echo = (weight: string, extra: Record<string, unknown> = {}): Record<string, Json> => {
    const o = ingressManifest('echo', 'mini-echo.io', [{ service: 'old-nginx' }, { service: 'new-nginx' }], { [W]: weight }) as Record<string, Json>;
    return { ...o, metadata: { ...o.metadata, namespace: cluster.namespace }, spec: { ...o.spec, ...extra } };
  };
  const inNamespace = (o: Record<string, Json>) => ({ ...o, metadata: { ...o.metadata, namespace: cluster.namespace } });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-e2e-'));
    cluster = await testCluster(dir);
    process.env.POD_NAMESPACE = cluster.leaseNamespace;
    // EndpointSlices as the cluster would publish them for ready pods: TEST-NET addresses (an API server
    // refuses loopback ones, and no traffic is sent here).
    for (const o of clusterBackends()) await cluster.apply(inNamespace(o));
    await cluster.apply(echo('50', { ingressClassName: 'splitplane' }));
    const other = ingressManifest('theirs', 'other.io', [{ service: 'old-nginx' }]) as Record<string, Json>;
    await cluster.apply(inNamespace({ ...other, spec: { ...other.spec, ingressClassName: 'someone-else' } }));
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const a of apps) await a.stop();
    await cluster?.stop();
    if (savedNamespace === undefined) delete process.env.POD_NAMESPACE;
    else process.env.POD_NAMESPACE = savedNamespace;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const replica = async () => {
    const app = await startKubeReplica(cluster.kubeconfig, { namespace: cluster.namespace });
    apps.push(app);
    return app;
  };

  it('two replicas sync and serve; an edit reaches a connected Envoy', async () => {
    const [a] = [await replica(), await replica()];
    for (const app of apps) await waitFor('ready', async () => (await fetch(`http://127.0.0.1:${app.adminPort}/readyz`)).status === 200, 60_000);
    const client = new AdsClient(a.xdsPort);
    clients.push(client);
    const { rds } = await client.converge();
    await cluster.apply(echo('100', { ingressClassName: 'splitplane' }));
    const next = await waitFor('the new routes', async () => {
      const r = await client.next(ROUTE_TYPE, 30_000);
      return r.version_info !== rds.version_info ? r : undefined;
    });
    const vhost = next.resources[0]!.virtual_hosts.find((v: { name: string }) => v.name === 'mini-echo.io');
    expect(vhost.routes[0].route.cluster).to.equal(`${cluster.namespace}/new-nginx/80`);
  });

  it("kubectl get ingress shows the ADDRESS, written by exactly one replica; another class's Ingress has none", async () => {
    await waitFor('the address', async () => (await cluster.get('Ingress', 'echo', cluster.namespace))?.status?.loadBalancer?.ingress, 60_000);
    expect((await cluster.get('Ingress', 'echo', cluster.namespace))!.status.loadBalancer.ingress).to.deep.equal([{ ip: '192.0.2.10' }]);
    expect(
      apps.map((a) => a.writers!.isLeader()),
      'leaders',
    ).to.have.members([true, false]);
    expect(
      apps.map((a) => a.writers!.status?.writes ?? 0),
      'writes',
    ).to.satisfy((w: number[]) => w.filter((n) => n > 0).length === 1);
    expect((await cluster.get('Ingress', 'theirs', cluster.namespace))?.status?.loadBalancer?.ingress ?? []).to.deep.equal([]);
  });

  it('kubectl describe ingress shows the Events: the split applied, and a bad weight', async () => {
    await cluster.apply(echo('abc', { ingressClassName: 'splitplane' }));
    const events = async () => (await cluster.list('Event', cluster.namespace)).filter((e) => e.involvedObject?.name === 'echo');
    await waitFor('a Warning InvalidWeight Event', async () => (await events()).some((e) => e.reason === 'InvalidWeight' && e.type === 'Warning'), 60_000);
    expect((await events()).some((e) => e.reason === 'SplitApplied' && e.type === 'Normal')).to.equal(true);
  });
});
