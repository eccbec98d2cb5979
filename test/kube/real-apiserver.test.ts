// splitplane against a real kube-apiserver v1.34 and etcd on loopback (built by test/support/install-kube.sh),
// with nothing but a token of deploy/rbac.yaml's ServiceAccount, as a user runs it after
// `kubectl apply -k deploy/`: informers, Ingress status, Events and the Lease from two replicas, an API
// server stopped and started again, the cluster example server-side dry-run applied, certgen --kube.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { gateway, gatewayClass, httpRoute, listener } from '../support/gateway-fixtures.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import type { App } from '../../src/app.js';
import { applySecrets, CLIENT_SECRET, SERVER_SECRET } from '../../src/certgen/secrets.js';
import { makeCertificates } from '../../src/certgen/certgen.js';
import { KubeClient } from '../../src/kube/client.js';
import { waitFor } from '../../src/local/wait.js';
import { ROUTE_TYPE } from '../../src/proto/type-urls.js';
import { KubeConfig } from '@kubernetes/client-node';
import { AdsClient, ackingClient } from '../support/ads-client.js';
import { LrsClient } from '../support/lrs-client.js';
import { parseRolloutArgs, runRollout } from '../../src/cli/rollout.js';
import type { RolloutStatus } from '../../src/rollout/driver.js';
import type { GroupTraffic } from '../../src/traffic/figures.js';
import { ingressManifest } from '../support/fixtures.js';
import type { Json } from '../support/json.js';
import { startKubeReplica } from '../support/splitplane.js';
import { putOrCreate, startRealApiServer, type RealApiServer } from '../support/kube-apiserver.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE = path.resolve(here, '..', '..', '..', 'deploy', 'examples', 'cluster-blue-green');
const W = 'ingress.aliyun.weight/new-nginx';
const R = 'splitplane.io/rollout';
const OLD = 'default/old-nginx/80';
const NEW = 'default/new-nginx/80';
type Obj = Record<string, Json>;

/** A Service and the EndpointSlice the cluster would publish for its ready pods, on a TEST-NET address. */
function backend(name: string, address: string): Obj[] {
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-abc12`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [{ addresses: [address], conditions: { ready: true } }],
    },
  ];
}

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const PLURAL: Record<string, string> = {
  Service: '/api/v1/namespaces/default/services',
  EndpointSlice: '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
  Ingress: '/apis/networking.k8s.io/v1/namespaces/default/ingresses',
  IngressClass: '/apis/networking.k8s.io/v1/ingressclasses',
  Deployment: '/apis/apps/v1/namespaces/default/deployments',
  CustomResourceDefinition: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
  GatewayClass: '/apis/gateway.networking.k8s.io/v1/gatewayclasses',
  Gateway: '/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways',
  HTTPRoute: '/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes',
};

describe('kube: against a real kube-apiserver, with the ServiceAccount of deploy/rbac.yaml @cluster', function () {
  this.timeout(300_000);
  let dir: string;
  let api: RealApiServer;
  const apps: App[] = [];
  const clients: Array<{ close(): void }> = [];
  const saved = process.env.POD_NAMESPACE;

  const apply = (object: Obj) => putOrCreate(api.admin, PLURAL[object.kind as string]!, object);
  const ingress = async (name: string) => (await api.admin.request<Obj>('GET', `${PLURAL.Ingress}/${name}`)).body;
  const events = async () => (await api.admin.expect<{ items: Obj[] }>('GET', '/api/v1/namespaces/default/events')).items;

  async function replica(): Promise<App> {
    const app = await startKubeReplica(api.serviceAccountKubeconfig);
    apps.push(app);
    return app;
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-real-api-'));
    api = await startRealApiServer(dir);
    process.env.POD_NAMESPACE = 'splitplane'; // as deploy/control-plane.yaml sets it: RBAC grants Leases there
    await apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'splitplane' },
      spec: { controller: 'splitplane.io/ingress-controller' },
    });
    for (const o of [...backend('old-nginx', '192.0.2.1'), ...backend('new-nginx', '192.0.2.2')]) await apply(o);
    const echo = ingressManifest('echo', 'mini-echo.io', [{ service: 'old-nginx' }, { service: 'new-nginx' }], { [W]: '50' }) as Obj;
    await apply({ ...echo, spec: { ...echo.spec, ingressClassName: 'splitplane' } });
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const a of apps) await a.stop();
    await api?.stop();
    if (saved === undefined) delete process.env.POD_NAMESPACE;
    else process.env.POD_NAMESPACE = saved;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('two replicas sync with the ServiceAccount token; one leads; status and a SplitApplied Event are written; an edit reaches an ADS client', async () => {
    const a = await replica();
    const b = await replica();
    for (const app of [a, b])
      await waitFor('the split from the API server', () => app.controller.currentModel()?.virtualHosts.some((v) => v.host === 'mini-echo.io'));
    await waitFor('one leader', () => a.writers!.isLeader() !== b.writers!.isLeader());
    expect(a.controller.diagnostics().filter((d) => d.severity === 'error')).to.deep.equal([]);
    await waitFor('the ADDRESS in status', async () => (await ingress('echo')).status?.loadBalancer?.ingress?.[0]?.ip === '192.0.2.10');
    await waitFor('the SplitApplied Event', async () =>
      (await events()).some((e) => e.reason === 'SplitApplied' && String(e.message).includes('new-nginx 50%')),
    );
    const client = new AdsClient(b.xdsPort, 'envoy-on-b');
    clients.push(client);
    await client.converge();
    const echo = await ingress('echo');
    await apply({ ...echo, metadata: { ...echo.metadata, annotations: { [W]: '100' } } });
    const routes = await client.next(ROUTE_TYPE);
    expect(JSON.stringify(routes.resources[0])).to.contain('default/new-nginx/80');
  });

  it('fleet truth across replicas: every replica counts the proxies of both, and the leader says RolloutComplete for the whole fleet', async () => {
    for (const c of clients.splice(0)) c.close();
    const [a, b] = apps as [App, App];
    const [leader, other] = a.writers!.isLeader() ? [a, b] : [b, a];
    const rolloutOf = async (app: App) => {
      const groups = (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/rollout`)).json()) as Array<{ host: string; text: string }>;
      return groups.find((g) => g.host === 'mini-echo.io')?.text ?? '';
    };
    const everyReplicaSays = async (text: string) => {
      for (const app of [leader, other])
        await waitFor(`the ${app === leader ? 'leader' : 'follower'} says "${text}"`, async () => (await rolloutOf(app)).includes(text) || undefined);
    };
    // First the only Envoy on the follower (the leader used to write "no proxy is connected"), then one on each.
    const onFollower = new AdsClient(other.xdsPort, 'envoy-on-the-follower');
    clients.push(onFollower);
    await onFollower.converge();
    await everyReplicaSays('applied to 1 of 1 connected proxies, on 2 replicas');
    const onLeader = new AdsClient(leader.xdsPort, 'envoy-on-the-leader');
    clients.push(onLeader);
    await onLeader.converge();
    await everyReplicaSays('applied to 2 of 2 connected proxies, on 2 replicas');
    const clientsOfLeader = (await (await fetch(`http://127.0.0.1:${leader.adminPort}/debug/clients`)).json()) as Array<{ node: string; replica?: string }>;
    expect(clientsOfLeader.find((c) => c.node === 'envoy-on-the-follower')?.replica).to.be.a('string');
    expect(clientsOfLeader.find((c) => c.node === 'envoy-on-the-leader')?.replica).to.equal(undefined);
    const echo = await ingress('echo');
    await apply({ ...echo, metadata: { ...echo.metadata, annotations: { [W]: '30' } } });
    for (const client of [onFollower, onLeader]) client.ack(await client.next(ROUTE_TYPE), ['ingress_http']);
    const complete = await waitFor('the RolloutComplete Event for the whole fleet', async () =>
      (await events()).find((e) => e.reason === 'RolloutComplete' && String(e.message).includes('new-nginx 30%')),
    );
    expect(String(complete.message)).to.contain('applied to 2 of 2 connected proxies, on 2 replicas');
    const reports = await api.admin.expect<{ items: Obj[] }>(
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/splitplane/leases?labelSelector=app.kubernetes.io%2Fcomponent%3Dfleet-report',
    );
    expect(reports.items).to.have.length(2);
  });

  it('progressive delivery across replicas: each proxy reports to its own replica, the leader judges them all, every replica serves its steps, and a new leader goes on from the stored step', async () => {
    for (const c of clients.splice(0)) c.close();
    const [a, b] = apps as [App, App];
    const [leader, follower] = a.writers!.isLeader() ? [a, b] : [b, a];
    const lrs: LrsClient[] = [];
    const onLeader = await ackingClient(leader.xdsPort, 'envoy-l');
    const onFollower = await ackingClient(follower.xdsPort, 'envoy-f');
    clients.push(onLeader, onFollower);
    for (const [app, node] of [
      [leader, 'envoy-l'],
      [follower, 'envoy-f'],
    ] as const) {
      const client = new LrsClient(app.xdsPort, node);
      lrs.push(client);
      await client.ready();
    }
    const [reportsToLeader, reportsToFollower] = lrs as [LrsClient, LrsClient];
    const rollouts = async (app: App) => (await (await fetch(`http://127.0.0.1:${app.adminPort}/debug/rollouts`)).json()) as RolloutStatus[];
    const newWeight = (app: App) =>
      app.controller
        .currentModel()
        ?.virtualHosts.find((v) => v.host === 'mini-echo.io')
        ?.groups[0]?.backends.find((x) => x.service === 'new-nginx')?.basisPoints;
    const echo = await ingress('echo');
    await apply({ ...echo, metadata: { ...echo.metadata, annotations: { [R]: 'new-nginx; steps=20,50,100; interval=4s; min-requests=20; threshold=1' } } });
    await waitFor('both replicas at the first step', () => newWeight(leader) === 2000 && newWeight(follower) === 2000, 30_000);
    // Only the follower's proxy sends new-nginx traffic, and a fifth of it fails: the leader hears it
    // through the follower's fleet report and takes new-nginx out, on both replicas.
    const report = async (until: () => Promise<boolean>, each: () => void, what: string) =>
      waitFor(
        what,
        async () => {
          each();
          await new Promise((r) => setTimeout(r, 1100));
          return until();
        },
        90_000,
        0,
      );
    await report(
      async () => (await rollouts(leader))[0]?.phase === 'aborted',
      () => {
        reportsToFollower.report([{ cluster: NEW, succeeded: 32, failed: 8 }]);
        reportsToLeader.report([{ cluster: OLD, succeeded: 40 }]);
      },
      'the leader to abort on what the follower heard',
    );
    const aborted = (await rollouts(leader))[0]!;
    expect(aborted.reason).to.match(/success rate 80% over \d+ requests is below min-success 99%/);
    await waitFor('the follower to serve the abort', () => newWeight(follower) === 0, 30_000);
    const traffic = (await (await fetch(`http://127.0.0.1:${leader.adminPort}/debug/traffic?window=300`)).json()) as GroupTraffic[];
    const fresh = traffic.find((g) => g.host === 'mini-echo.io')!.versions.find((v) => v.service === 'new-nginx')!;
    expect(fresh.proxies, "the leader counts the follower's proxy").to.equal(1);
    expect(fresh.failed).to.be.greaterThan(0);
    await waitFor('the RolloutAborted Event', async () => (await events()).some((e) => e.reason === 'RolloutAborted' && e.type === 'Warning'));

    // A person starts it again through the API server, as the leader sees it: `splitplane rollout resume --kube`.
    let out = '';
    const code = await runRollout(
      parseRolloutArgs(['resume', 'default/echo', '--kubeconfig', api.adminKubeconfig]),
      (t) => (out += t),
      (t) => (out += t),
    );
    expect(code, out).to.equal(0);
    expect(out).to.match(/PROGRESSING step 1: resumed at 20%/);
    await report(
      async () => newWeight(leader) === 5000 && newWeight(follower) === 5000,
      () => {
        reportsToFollower.report([{ cluster: NEW, succeeded: 40 }]);
        reportsToLeader.report([{ cluster: NEW, succeeded: 40 }]);
      },
      'both replicas at 50 % on healthy reports',
    );
    // The leader goes; the other replica takes the Lease and goes on from 50 %, neither ahead nor from zero.
    await leader.stop();
    apps.splice(apps.indexOf(leader), 1);
    await waitFor('the follower to lead', () => follower.writers!.isLeader(), 30_000);
    const taken = (await rollouts(follower))[0]!;
    expect([taken.phase, taken.step, taken.basisPoints]).to.deep.equal(['progressing', 2, 5000]);
    expect(newWeight(follower)).to.equal(5000);
    for (const c of lrs) c.close();
    const stored = await api.admin.expect<{ data: Record<string, string> }>('GET', '/api/v1/namespaces/splitplane/configmaps/splitplane-rollouts-splitplane');
    expect(Object.values(stored.data).map((v) => JSON.parse(v).state.step)).to.deep.equal([1]);
    // The next replica of the test suite starts afresh.
    apps.push(await replica());
  });

  it('the API server stopped for a while changes nothing served, and the replicas resync once it is back', async () => {
    const [a] = apps;
    const before = a!.cache.current()!.version(ROUTE_TYPE);
    await api.stopApiServer();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(a!.cache.current()!.version(ROUTE_TYPE), 'nothing served changes').to.equal(before);
    await api.startApiServer();
    await apply({
      ...(ingressManifest('late', 'late.io', [{ service: 'old-nginx' }]) as Obj),
      spec: { ingressClassName: 'splitplane', ...(ingressManifest('late', 'late.io', [{ service: 'old-nginx' }]) as Obj).spec },
    });
    // The informers retry with a backoff of up to 30 s while the API server is away.
    await waitFor('the new Ingress after the restart', () => a!.controller.currentModel()?.virtualHosts.some((v) => v.host === 'late.io'), 120_000);
  });

  it('the cluster example is accepted by the API server (server-side dry run)', async () => {
    for (const file of ['old-nginx.yaml', 'new-nginx.yaml', 'ingress.yaml']) {
      for (const object of loadAll(fs.readFileSync(path.join(EXAMPLE, file), 'utf8')) as Obj[]) {
        if (!object) continue;
        const r = await api.admin.request('POST', `${PLURAL[object.kind as string]}?dryRun=All`, {
          ...object,
          metadata: { ...object.metadata, name: `${object.metadata.name}-dry` },
        });
        expect(r.status, `${file} ${object.kind}: ${JSON.stringify(r.body).slice(0, 300)}`).to.equal(201);
      }
    }
  });

  it('Gateway API on the real API server: the upstream CRDs installed while splitplane runs, then a Gateway and an HTTPRoute, whose status the real schema accepts', async () => {
    const app = await startKubeReplica(api.serviceAccountKubeconfig, { kubeBackoff: { initialMs: 200, maxMs: 1000 } });
    apps.push(app);
    // The CRDs come from the Go module proxy (sigs.k8s.io/gateway-api), never from this repository.
    const crds = execFileSync('bash', [path.join(repo, 'test', 'support', 'gateway-crds.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    for (const file of fs.readdirSync(crds).filter((f) => /_(gatewayclasses|gateways|httproutes|grpcroutes|referencegrants)\.yaml$/.test(f))) {
      for (const crd of loadAll(fs.readFileSync(path.join(crds, file), 'utf8')) as Obj[]) if (crd?.kind === 'CustomResourceDefinition') await apply(crd);
    }
    await waitFor(
      'the CRDs established',
      async () => {
        const list = (await api.admin.expect<{ items: Obj[] }>('GET', PLURAL.CustomResourceDefinition!)).items;
        const gateway = list.filter((c) => c.spec.group === 'gateway.networking.k8s.io');
        return gateway.length === 5 && gateway.every((c) => (c.status?.conditions ?? []).some((x: Obj) => x.type === 'Established' && x.status === 'True'));
      },
      60_000,
    );
    await apply(gatewayClass());
    await apply(gateway([listener('http', 9080)]));
    await apply(
      httpRoute('echo', {
        parentRefs: [{ name: 'web' }],
        hostnames: ['gw.example'],
        rules: [
          {
            backendRefs: [
              { name: 'old-nginx', port: 80, weight: 1 },
              { name: 'new-nginx', port: 80, weight: 1 },
            ],
          },
        ],
      }),
    );
    const routeStatus = async () => (await api.admin.request<Obj>('GET', `${PLURAL.HTTPRoute}/echo`)).body?.status?.parents?.[0];
    // Each Gateway API informer finds its CRD on its own retry, so the route may be seen before its Gateway and
    // first be written NoMatchingParent; the status converges once both are read (as any controller's would).
    const summary = (parent: Obj | undefined) => (parent?.conditions ?? []).map((c: Obj) => `${c.type}=${c.status}:${c.reason}`);
    await waitFor(
      'the HTTPRoute status Accepted, written by the leader with the ServiceAccount',
      async () => summary(await routeStatus()).join() === 'Accepted=True:Accepted,ResolvedRefs=True:ResolvedRefs',
      90_000,
    );
    const parent = await routeStatus();
    expect(parent.controllerName).to.equal('splitplane.io/gateway-controller');
    expect(summary(parent)).to.deep.equal(['Accepted=True:Accepted', 'ResolvedRefs=True:ResolvedRefs']);
    const gw = (await api.admin.request<Obj>('GET', `${PLURAL.Gateway}/web`)).body;
    await waitFor(
      'the Gateway status',
      async () => ((await api.admin.request<Obj>('GET', `${PLURAL.Gateway}/web`)).body?.status?.listeners ?? []).length === 1,
      30_000,
    );
    const listenerStatus = (await api.admin.request<Obj>('GET', `${PLURAL.Gateway}/web`)).body.status.listeners[0];
    expect(listenerStatus.attachedRoutes).to.equal(1);
    expect(gw.metadata.generation).to.be.a('number');
    await waitFor('the route served', () => (app.controller.currentModel()?.gatewayPorts ?? []).some((p) => p.port === 9080), 30_000);
  });

  it("certgen --kube writes the two Secrets in splitplane with deploy/certgen.yaml's ServiceAccount; again with --force it replaces them", async () => {
    const config = new KubeConfig();
    config.loadFromFile(api.certgenKubeconfig);
    const client = new KubeClient(config);
    const make = () => makeCertificates({ hosts: [], days: 1 });
    expect(await applySecrets(client, make, 'splitplane', false)).to.match(/^created Secrets/);
    expect(await applySecrets(client, make, 'splitplane', false)).to.match(/kept/);
    expect(await applySecrets(client, make, 'splitplane', true)).to.match(/^replaced Secrets/);
    for (const name of [SERVER_SECRET, CLIENT_SECRET])
      expect((await api.admin.request('GET', `/api/v1/namespaces/splitplane/secrets/${name}`)).status).to.equal(200);
  });
});
