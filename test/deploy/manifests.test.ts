// deploy/: every manifest parses, the pieces agree with each other and with the code (names, labels,
// ports, Secrets, flags), RBAC allows exactly the API calls splitplane makes (recorded against the fake
// API server), and the Envoy DaemonSet's bootstrap passes envoy --mode validate.

import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, loadAll } from 'js-yaml';
import { startApp, type App } from '../../src/app.js';
import { certgen, makeCertificates } from '../../src/certgen/certgen.js';
import { CLIENT_SECRET, SERVER_SECRET, applySecrets } from '../../src/certgen/secrets.js';
import { DEFAULTS, parseArgs } from '../../src/config.js';
import { envoyBinary } from '../../src/local/envoy.js';
import { freePort } from '../../src/local/http.js';
import { waitFor } from '../../src/local/wait.js';
import { KubeClient } from '../../src/kube/client.js';
import { splitSummaries } from '../../src/kube/split-summary.js';
import { silentLogger } from '../../src/log.js';
import { CONTROLLER_NAME } from '../../src/objects/ingress-class.js';
import { gateway, gatewayClass, httpRoute, listener } from '../support/gateway-fixtures.js';
import { FakeApiServer } from '../support/fake-apiserver.js';
import { loopbackEndpointSlice, ingressManifest, selfSignedCertificate, loopbackService, tlsSecret } from '../support/fixtures.js';
import type { Json } from '../support/json.js';

type Obj = Record<string, Json>;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DEPLOY = path.join(repo, 'deploy');

const kustomization = load(fs.readFileSync(path.join(DEPLOY, 'kustomization.yaml'), 'utf8')) as Obj;
const objects: Obj[] = (kustomization.resources as string[])
  .flatMap((file) => loadAll(fs.readFileSync(path.join(DEPLOY, file), 'utf8')) as Obj[])
  .filter(Boolean);
const find = (kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`deploy/ has no ${kind} ${name}`);
  return found;
};
const deployment = find('Deployment', 'splitplane');
const daemonSet = find('DaemonSet', 'splitplane-envoy');
const controlPlane = deployment.spec.template.spec.containers[0];
const envoy = daemonSet.spec.template.spec.containers[0];
const bootstrapText = find('ConfigMap', 'splitplane-envoy-bootstrap').data['bootstrap.yaml'] as string;
const bootstrap = load(bootstrapText) as Obj;
const args = parseArgs(controlPlane.args, { KUBERNETES_SERVICE_HOST: '10.96.0.1' });

/** A request to the fake API server as RBAC sees it. */
interface Call {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
}

function callOf(request: string): Call {
  const [method, target] = request.split(' ');
  const url = new URL(target!, 'http://x');
  const parts = url.pathname.split('/').filter(Boolean);
  const group = parts[0] === 'api' ? '' : parts[1];
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 2) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  const verb =
    method === 'GET'
      ? name
        ? 'get'
        : url.searchParams.get('watch') === 'true'
          ? 'watch'
          : 'list'
      : { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method!]!;
  return { verb, group: group!, resource: subresource ? `${resource}/${subresource}` : resource!, namespace };
}

/** The rules a ServiceAccount has: its ClusterRoles everywhere, its Roles in their namespace. */
function rulesOf(serviceAccount: string): Array<{ rule: Obj; namespace?: string }> {
  const bound = objects.filter(
    (o) =>
      (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') &&
      o.subjects.some((s: Obj) => s.kind === 'ServiceAccount' && s.name === serviceAccount && s.namespace === 'splitplane'),
  );
  return bound.flatMap((b) =>
    find(b.roleRef.kind, b.roleRef.name).rules.map((rule: Obj) => ({ rule, namespace: b.kind === 'RoleBinding' ? b.metadata.namespace : undefined })),
  );
}

function allowed(call: Call, rules: ReturnType<typeof rulesOf>): Array<{ rule: Obj; namespace?: string }> {
  return rules.filter(
    ({ rule, namespace }) =>
      rule.apiGroups.includes(call.group) &&
      rule.resources.includes(call.resource) &&
      rule.verbs.includes(call.verb) &&
      (!namespace || namespace === call.namespace),
  );
}

function checkRbac(serviceAccount: string, calls: Call[]): void {
  const rules = rulesOf(serviceAccount);
  for (const rule of rules.flatMap(({ rule: r }) => [r])) {
    for (const key of ['apiGroups', 'resources', 'verbs']) expect(rule[key], `${serviceAccount}: no wildcards`).to.not.include('*');
  }
  for (const call of calls)
    expect(allowed(call, rules), `${serviceAccount} may ${call.verb} ${call.group}/${call.resource} in ${call.namespace ?? '(cluster)'}`).to.not.deep.equal([]);
  // And no more: every verb on every resource granted is used.
  for (const { rule, namespace } of rules) {
    for (const group of rule.apiGroups)
      for (const resource of rule.resources)
        for (const verb of rule.verbs) {
          const used = calls.some((c) => c.group === group && c.resource === resource && c.verb === verb && (!namespace || c.namespace === namespace));
          expect(used, `${serviceAccount}: ${verb} ${group}/${resource} is granted but never used`).to.equal(true);
        }
  }
}

describe('deploy/: the cluster manifests', function () {
  this.timeout(120_000);

  it('kustomization.yaml lists every manifest in deploy/, and each parses', () => {
    const files = fs
      .readdirSync(DEPLOY)
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .sort();
    expect([...kustomization.resources].sort()).to.deep.equal(files);
    for (const o of objects) expect(o.apiVersion && o.kind && o.metadata?.name, JSON.stringify(o).slice(0, 80)).to.be.a('string');
    for (const o of objects.filter((x) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'IngressClass'].includes(x.kind)))
      expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).to.equal('splitplane');
  });

  it('the control plane: 2 replicas, probes on the admin port, non-root, read-only root, requests and limits, its Service account', () => {
    expect(deployment.spec.replicas).to.equal(2);
    expect(deployment.spec.template.spec.serviceAccountName).to.equal('splitplane');
    const admin = controlPlane.ports.find((p: Obj) => p.name === 'admin');
    expect(admin.containerPort).to.equal(args.adminPort);
    expect(controlPlane.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 'admin' });
    expect(controlPlane.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 'admin' });
    expect(args.adminHost, 'probes come from the kubelet, not loopback').to.equal('0.0.0.0');
    for (const pod of [deployment, daemonSet, find('Job', 'splitplane-certgen')]) {
      const spec = pod.spec.template.spec;
      expect(spec.securityContext.runAsNonRoot, pod.metadata.name).to.equal(true);
      for (const c of spec.containers) {
        expect(c.securityContext.readOnlyRootFilesystem, c.name).to.equal(true);
        expect(c.securityContext.allowPrivilegeEscalation, c.name).to.equal(false);
        expect(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.cpu && c.resources.limits.memory, c.name).to.be.a('string');
      }
    }
    expect(args.source).to.equal('kube');
    expect(args.leaderElect, 'on by default in a pod').to.equal(true);
    expect(controlPlane.env.map((e: Obj) => [e.name, e.valueFrom.fieldRef.fieldPath])).to.deep.equal([
      ['POD_NAME', 'metadata.name'],
      ['POD_NAMESPACE', 'metadata.namespace'],
    ]);
  });

  it('Services select the pods they front, on ports the containers have', () => {
    for (const [name, workload] of [
      ['splitplane', deployment],
      ['splitplane-envoy', daemonSet],
    ] as const) {
      const svc = find('Service', name);
      const labels = workload.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(svc.spec.selector)) expect(labels[k], `${name} selects ${k}`).to.equal(v);
      expect(workload.spec.selector.matchLabels).to.deep.equal(svc.spec.selector);
      const ports = workload.spec.template.spec.containers[0].ports.map((p: Obj) => p.name);
      for (const p of svc.spec.ports) expect(ports, `${name} port ${p.name}`).to.include(p.targetPort);
    }
    const xds = find('Service', 'splitplane').spec.ports[0];
    expect(controlPlane.ports.find((p: Obj) => p.name === 'xds').containerPort).to.equal(args.xdsPort);
    // The bootstrap reaches the xDS Service by its DNS name and port.
    const address = bootstrap.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
    expect(address).to.deep.equal({ address: 'splitplane.splitplane.svc.cluster.local', port_value: xds.port });
    expect(args.publishService).to.deep.equal({ namespace: 'splitplane', name: 'splitplane-envoy' });
  });

  it('Envoy: host ports 80 and 443 onto the listener ports splitplane tells it, node id from the pod name', () => {
    const port = (name: string) => envoy.ports.find((p: Obj) => p.name === name);
    expect([port('http').hostPort, port('http').containerPort]).to.deep.equal([80, args.httpPort]);
    expect([port('https').hostPort, port('https').containerPort]).to.deep.equal([443, args.httpsPort]);
    expect(args.httpsRedirectPort).to.equal(443);
    expect(envoy.args).to.include('--service-node=$(POD_NAME)');
    expect(envoy.env).to.deep.include({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(envoy.image).to.match(/^envoyproxy\/envoy:v1\.40\./);
  });

  it("the certificates: certgen's Secrets, mounted where the flags and the bootstrap read them", () => {
    const job = find('Job', 'splitplane-certgen').spec.template.spec.containers[0];
    expect(job.args.slice(0, 2)).to.deep.equal(['certgen', '--kube']);
    expect(job.args).to.include('--namespace=splitplane');
    const serverVolume = deployment.spec.template.spec.volumes.find((v: Obj) => v.secret);
    expect(serverVolume.secret.secretName).to.equal(SERVER_SECRET);
    const mount = controlPlane.volumeMounts.find((m: Obj) => m.name === serverVolume.name).mountPath;
    expect(args.xdsTls).to.deep.equal({ cert: `${mount}/tls.crt`, key: `${mount}/tls.key`, clientCa: `${mount}/ca.crt` });
    const clientVolume = daemonSet.spec.template.spec.volumes.find((v: Obj) => v.secret);
    expect(clientVolume.secret.secretName).to.equal(CLIENT_SECRET);
    const clientMount = envoy.volumeMounts.find((m: Obj) => m.name === clientVolume.name).mountPath;
    const files = clientVolume.secret.items.map((i: Obj) => `${clientMount}/${i.path}`);
    const tls = bootstrap.static_resources.clusters[0].transport_socket.typed_config.common_tls_context;
    expect(files).to.include.members([
      tls.tls_certificates[0].certificate_chain.filename,
      tls.tls_certificates[0].private_key.filename,
      tls.validation_context.trusted_ca.filename,
    ]);
    expect(envoy.volumeMounts.find((m: Obj) => m.name === 'bootstrap').mountPath + '/bootstrap.yaml').to.equal(
      envoy.args.find((a: string) => a.startsWith('--config-path=')).split('=')[1],
    );
  });

  it("the IngressClass names splitplane's controller", () => {
    expect(find('IngressClass', 'splitplane').spec.controller).to.equal(CONTROLLER_NAME);
    expect(args.ingressClass).to.equal('splitplane');
  });

  it("the DaemonSet's bootstrap passes envoy --mode validate (with certgen's files in place) @envoy", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-deploy-bootstrap-'));
    try {
      await certgen({ out: dir, hosts: [], days: 1, force: false });
      const file = path.join(dir, 'bootstrap.yaml');
      fs.writeFileSync(file, bootstrapText.split('/etc/splitplane/xds/').join(`${dir}/`).replace('splitplane.splitplane.svc.cluster.local', 'localhost'));
      const out = execFileSync(
        envoyBinary(),
        ['--mode', 'validate', '-c', file, '--service-node', 'validate', '--service-cluster', 'splitplane-ingress', '--disable-hot-restart', '-l', 'error'],
        { encoding: 'utf8' },
      );
      expect(out).to.contain('OK');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('RBAC covers every API call the code makes, and no more', () => {
    let api: FakeApiServer;
    let dir: string;
    const namespace = process.env.POD_NAMESPACE;

    before(async () => {
      api = new FakeApiServer(100);
      await api.start();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-rbac-'));
      process.env.POD_NAMESPACE = 'splitplane';
    });
    after(async () => {
      if (namespace === undefined) delete process.env.POD_NAMESPACE;
      else process.env.POD_NAMESPACE = namespace;
      await api.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('the control plane, through a release, a bad weight, and a second replica taking over', async () => {
      const cert = selfSignedCertificate('mini-echo.io');
      for (const o of [
        loopbackService('old-nginx'),
        loopbackService('new-nginx'),
        loopbackEndpointSlice('old-nginx', 9001),
        loopbackEndpointSlice('new-nginx', 9002),
        tlsSecret('echo-tls', cert.certificate, cert.key),
      ])
        api.apply(o);
      const echo = (weight: string) => ({
        ...ingressManifest('echo', 'mini-echo.io', [{ service: 'old-nginx' }, { service: 'new-nginx' }], { 'ingress.aliyun.weight/new-nginx': weight }),
        spec: {
          ...(ingressManifest('echo', 'mini-echo.io', [{ service: 'old-nginx' }]).spec as Obj),
          tls: [{ hosts: ['mini-echo.io'], secretName: 'echo-tls' }],
        },
      });
      api.apply(echo('50'));
      // Gateway API objects of our class, so their informers and status writes are counted too.
      api.apply(gatewayClass());
      api.apply(gateway([listener('http', 9080)]));
      api.apply(httpRoute('gw', { parentRefs: [{ name: 'web' }], rules: [{ backendRefs: [{ name: 'old-nginx', port: 80 }] }] }));
      api.apply(httpRoute('grpc', { parentRefs: [{ name: 'web' }], rules: [{ backendRefs: [{ name: 'old-nginx', port: 80 }] }] }, { kind: 'GRPCRoute' }));
      api.apply({
        ...loopbackService('splitplane-envoy'),
        metadata: { name: 'splitplane-envoy', namespace: 'splitplane' },
        status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } },
      });
      const replica = async (): Promise<App> =>
        startApp(
          {
            ...DEFAULTS,
            ...parseArgs(
              controlPlane.args.filter((a: string) => !/^--(xds-tls|xds-client-ca|admin-host)/.test(a)),
              { KUBERNETES_SERVICE_HOST: '10.96.0.1' },
            ),
            source: 'kube',
            leaderElect: true,
            kubeconfig: api.writeKubeconfig(dir),
            xdsHost: '127.0.0.1',
            xdsPort: await freePort(),
            adminPort: await freePort(),
            lease: { durationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 },
            fleetReports: { writeMs: 100, renewMs: 300 },
          },
          silentLogger,
        );
      const a = await replica();
      const fleetReports = () => api.list('Lease').filter((l) => l.metadata.labels?.['app.kubernetes.io/component'] === 'fleet-report');
      await waitFor("the replica's fleet report", () => fleetReports().length === 1);
      await waitFor('status written', () => api.get('Ingress', 'default', 'echo')?.status?.loadBalancer?.ingress);
      await waitFor(
        'Gateway API status written',
        () => api.get('GRPCRoute', 'default', 'grpc')?.status?.parents && api.get('HTTPRoute', 'default', 'gw')?.status?.parents,
      );
      api.apply(echo('abc'));
      await waitFor('a Warning Event', () => api.list('Event', 'v1').some((e) => e.reason === 'InvalidWeight'));
      api.apply(echo('50'));
      await waitFor('the split Event', () => api.list('Event', 'v1').some((e) => e.reason === 'SplitApplied'));
      // An automated rollout keeps its state in a ConfigMap of ours: created, then updated on a new spec.
      const rolled = (steps: string) =>
        ingressManifest('echo', 'mini-echo.io', [{ service: 'old-nginx' }, { service: 'new-nginx' }], { 'splitplane.io/rollout': `new-nginx; steps=${steps}` });
      api.apply(rolled('10,100'));
      await waitFor('the rollout state', () =>
        JSON.stringify(api.get('ConfigMap', 'splitplane', 'splitplane-rollouts-splitplane')?.data ?? {}).includes('steps=10,100'),
      );
      api.apply(rolled('20,100'));
      await waitFor('the new rollout state', () =>
        JSON.stringify(api.get('ConfigMap', 'splitplane', 'splitplane-rollouts-splitplane')?.data ?? {}).includes('steps=20,100'),
      );
      // The split in force is an Event of the first replica's: the new leader finds it there and counts it once more.
      const inForce = [...splitSummaries(a.controller.currentModel()!).values()].map((s) => s.text);
      await waitFor('the split in force recorded', () => api.list('Event', 'v1').some((e) => e.reason === 'SplitApplied' && inForce.includes(e.message)));
      await a.stop();
      // Counted from what the first replica left (under load it may have counted an Event twice itself):
      // the new leader states the split in force once more, so one of them is counted one more time.
      const left = new Map(
        api
          .list('Event', 'v1')
          .filter((e) => e.reason === 'SplitApplied')
          .map((e) => [e.metadata.name, e.count ?? 1]),
      );
      const b = await replica();
      await waitFor(
        'the same split Event, counted again by the new leader',
        () => api.list('Event', 'v1').some((e) => e.reason === 'SplitApplied' && left.has(e.metadata.name) && (e.count ?? 1) > left.get(e.metadata.name)!),
        30_000,
      );
      await waitFor("the new replica's fleet report read", () =>
        api.requests.some((r) => r.startsWith('GET /apis/coordination.k8s.io/v1/namespaces/splitplane/leases?')),
      );
      await b.stop();
      expect(fleetReports(), 'each replica takes its report away when it stops').to.deep.equal([]);
      const calls = api.requests.map(callOf);
      expect(
        calls.some((c) => c.resource === 'secrets' && c.namespace === undefined),
        'no Secret listed cluster-wide',
      ).to.equal(false);
      checkRbac('splitplane', calls);
    });

    it('the certgen Job', async () => {
      // An API server of its own: nothing the control plane's replicas left in flight is counted.
      const own = new FakeApiServer(100);
      await own.start();
      try {
        const config = new KubeConfig();
        config.loadFromFile(own.writeKubeconfig(dir));
        const client = new KubeClient(config);
        const make = () => makeCertificates({ hosts: [], days: 1 });
        await applySecrets(client, make, 'splitplane', false);
        await applySecrets(client, make, 'splitplane', true);
        checkRbac('splitplane-certgen', own.requests.map(callOf));
      } finally {
        await own.stop();
      }
    });
  });
});
