// Ingress status and leader election against the fake API server: what `kubectl get ingress` shows as
// ADDRESS, written by exactly one replica, taken over when that replica stops.

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApp, type App } from '../../src/app.js';
import { DEFAULTS, type Config } from '../../src/config.js';
import { freePort } from '../../src/local/http.js';
import { waitFor } from '../../src/local/wait.js';
import { silentLogger } from '../../src/log.js';
import { FakeApiServer } from '../support/fake-apiserver.js';
import { leaseNamespace } from '../../src/kube/writers.js';
import { loopbackEndpointSlice, ingressManifest, loopbackService } from '../support/fixtures.js';

const LEASE = { durationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };

describe('kube/status and kube/leader: Ingress status from one elected replica', function () {
  this.timeout(60_000);
  let api: FakeApiServer;
  let dir: string;
  const apps: App[] = [];

  beforeEach(async () => {
    api = new FakeApiServer(100);
    await api.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-status-'));
    for (const o of [
      loopbackService('old-nginx'),
      loopbackEndpointSlice('old-nginx', 9001),
      ingressManifest('echo', 'mini-echo.io', [{ service: 'old-nginx' }]),
    ])
      api.apply(o);
    api.apply({
      ...ingressManifest('theirs', 'other.io', [{ service: 'old-nginx' }]),
      spec: { ...(ingressManifest('theirs', 'other.io', [{ service: 'old-nginx' }]).spec as object), ingressClassName: 'nginx' },
    });
  });
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.stop();
    await api.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function replica(extra: Partial<Config>): Promise<App> {
    const app = await startApp(
      {
        ...DEFAULTS,
        source: 'kube',
        kubeconfig: api.writeKubeconfig(dir),
        xdsHost: '127.0.0.1',
        xdsPort: await freePort(),
        adminPort: await freePort(),
        ...extra,
      },
      silentLogger,
    );
    apps.push(app);
    return app;
  }
  const address = (name: string) => api.get('Ingress', 'default', name)?.status?.loadBalancer?.ingress;

  it("--publish-address: our Ingress shows it, another class's does not; a right status is not written again", async () => {
    const app = await replica({ publishAddress: '10.1.2.3' });
    await waitFor('the status', () => address('echo'));
    expect(address('echo')).to.deep.equal([{ ip: '10.1.2.3' }]);
    expect(address('theirs')).to.equal(undefined);
    await waitFor('the write counted', () => app.writers!.status!.writes === 1);
    const writes = app.writers!.status!.writes;
    await app.writers!.status!.sync();
    await app.writers!.status!.sync();
    expect(app.writers!.status!.writes, 'no write when the status is right').to.equal(writes);
  });

  it('an Ingress that leaves our class gets its status taken back', async () => {
    await replica({ publishAddress: 'lb.example.com' });
    await waitFor('the status', () => address('echo'));
    expect(address('echo')).to.deep.equal([{ hostname: 'lb.example.com' }]);
    const current = api.get('Ingress', 'default', 'echo')!;
    api.apply({ ...current, spec: { ...current.spec, ingressClassName: 'nginx' } });
    await waitFor('the status taken back', () => address('echo') === undefined);
  });

  it("--publish-service: the Service's load balancer addresses, or its external IPs", async () => {
    api.apply({ ...loopbackService('splitplane-envoy'), status: { loadBalancer: { ingress: [{ hostname: 'elb.example.com' }] } } });
    await replica({ publishService: { namespace: 'default', name: 'splitplane-envoy' } });
    await waitFor('the status', () => address('echo'));
    expect(address('echo')).to.deep.equal([{ hostname: 'elb.example.com' }]);
  });

  it('with two replicas exactly one writes; when it stops the other takes over within the lease duration', async () => {
    const a = await replica({ publishAddress: '10.0.0.10', leaderElect: true, lease: LEASE });
    const b = await replica({ publishAddress: '10.0.0.10', leaderElect: true, lease: LEASE });
    await waitFor('a leader', () => a.writers!.isLeader() || b.writers!.isLeader());
    await waitFor('the status', () => address('echo'));
    await waitFor('the write counted', () => a.writers!.status!.writes + b.writers!.status!.writes > 0);
    const [leader, follower] = a.writers!.isLeader() ? [a, b] : [b, a];
    expect(follower.writers!.isLeader()).to.equal(false);
    expect(leader.writers!.status!.writes).to.be.greaterThan(0);
    expect(follower.writers!.status!.writes, 'the follower never writes').to.equal(0);
    const lease = api.list('Lease')[0];
    expect(lease!.metadata.name).to.equal('splitplane-splitplane');
    expect(lease!.metadata.namespace, 'outside a pod, with no namespace in the kubeconfig context: --lease-namespace (splitplane)').to.equal('splitplane');

    const stopped = Date.now();
    apps.splice(apps.indexOf(leader), 1);
    await leader.stop();
    api.apply(ingressManifest('late', 'late.io', [{ service: 'old-nginx' }]));
    await waitFor('the other replica to lead', () => follower.writers!.isLeader(), LEASE.durationMs + 5000);
    expect(Date.now() - stopped, 'taken over within the lease duration').to.be.below(LEASE.durationMs + 2000);
    await waitFor("the new Ingress's status, from the new leader", () => address('late'));
    await waitFor("the new leader's write counted", () => follower.writers!.status!.writes > 0);
  });

  it("a replica refused the Lease (403) says so: an error diagnostic with the API server's whole message, and it never leads", async () => {
    api.fail(/^(GET|POST) \/apis\/coordination.k8s.io\/v1\/namespaces\/splitplane\/leases/, 403, 10_000);
    const a = await replica({ publishAddress: '10.0.0.10', leaderElect: true, lease: LEASE });
    const problem = await waitFor('the diagnostic', () =>
      a.controller.diagnostics().find((d) => d.severity === 'error' && d.object.kind === 'Splitplane' && d.object.name === 'leader-election'),
    );
    expect(problem.message)
      .to.contain('splitplane/splitplane-splitplane')
      .and.contain('403')
      .and.contain('a failure the test asked for')
      .and.contain('--lease-namespace');
    expect(a.writers!.isLeader()).to.equal(false);
    expect(address('echo'), 'no status without the Lease').to.equal(undefined);
    api.clearFailures();
    await waitFor('the Lease once allowed', () => a.writers!.isLeader());
    await waitFor('the diagnostic gone', () => !a.controller.diagnostics().some((d) => d.object.name === 'leader-election'));
  });

  it('--source kube with no --kubeconfig reads $KUBECONFIG, as kubectl does', async () => {
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = api.writeKubeconfig(dir);
    try {
      const app = await replica({ kubeconfig: undefined, publishAddress: '10.0.0.10' });
      await waitFor('the Ingress from the API server', () => app.controller.currentModel()?.virtualHosts.some((v) => v.host === 'mini-echo.io'));
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });

  it('the Lease namespace: POD_NAMESPACE, else the kubeconfig context, else --lease-namespace', () => {
    const config = (namespace?: string) => ({
      getCurrentContext: () => 'c',
      getContextObject: () => (namespace ? { name: 'c', cluster: 'k', user: 'u', namespace } : { name: 'c', cluster: 'k', user: 'u' }),
    });
    expect(leaseNamespace(config('ctx'), 'flag', { POD_NAMESPACE: 'pod' })).to.equal('pod');
    expect(leaseNamespace(config('ctx'), 'flag', {})).to.equal('ctx');
    expect(leaseNamespace(config(), 'flag', {})).to.equal('flag');
    expect(leaseNamespace(config(), undefined, {})).to.equal('splitplane');
  });

  it('a leader renews the Lease with one request per retry period, and reads it again only when its write is refused', async () => {
    const a = await replica({ publishAddress: '10.0.0.10', leaderElect: true, lease: LEASE });
    await waitFor('a leads', () => a.writers!.isLeader());
    const lease = /\/apis\/coordination.k8s.io\/v1\/namespaces\/splitplane\/leases\/splitplane-splitplane$/;
    const leaseRequests = () => api.requests.filter((r) => lease.test(r));
    const from = leaseRequests().length;
    await waitFor(
      'five renewals',
      () =>
        leaseRequests()
          .slice(from)
          .filter((r) => r.startsWith('PUT')).length >= 5,
      10_000,
    );
    const renewals = leaseRequests().slice(from);
    expect(
      renewals.filter((r) => r.startsWith('GET')),
      'no read before each renewal',
    ).to.have.length.at.most(1);
    // Someone else changes the Lease (kubectl annotate): the next renewal is refused (a stale
    // resourceVersion), the leader reads it and renews, and stays the leader.
    const current = api.get('Lease', 'splitplane', 'splitplane-splitplane')!;
    api.apply({ ...current, metadata: { ...current.metadata, annotations: { touched: 'yes' } } });
    const after = leaseRequests().length;
    await waitFor(
      'a read after the refused renewal, and a renewal after it',
      () => {
        const since = leaseRequests().slice(after);
        const read = since.findIndex((r) => r.startsWith('GET'));
        return read >= 0 && since.slice(read).some((r) => r.startsWith('PUT'));
      },
      10_000,
    );
    expect(a.writers!.isLeader()).to.equal(true);
    expect(api.get('Lease', 'splitplane', 'splitplane-splitplane')?.metadata.annotations).to.deep.equal({ touched: 'yes' });
  });

  it('a leader that cannot renew stops writing, and the other takes over once the lease expires', async () => {
    const a = await replica({ publishAddress: '10.0.0.10', leaderElect: true, lease: LEASE });
    await waitFor('a leads', () => a.writers!.isLeader());
    const b = await replica({ publishAddress: '10.0.0.10', leaderElect: true, lease: LEASE });
    // a's renewals now fail (a partition between a and the API server); b must wait for the lease to
    // expire, then win.
    const partitioned = Date.now();
    api.fail(
      /^PUT \/apis\/coordination.k8s.io\/v1\/namespaces\/splitplane\/leases\/splitplane-splitplane$/,
      500,
      10_000,
      new RegExp(`"holderIdentity":"${a.writers!.elector!.identity}"`),
    );
    await waitFor('a to step down', () => !a.writers!.isLeader(), 10_000);
    expect(Date.now() - partitioned, 'a stops acting before the lease could pass to b').to.be.below(LEASE.durationMs + 1000);
    await waitFor('b to lead', () => b.writers!.isLeader(), 15_000);
    expect(a.writers!.isLeader()).to.equal(false);
    api.clearFailures();
  });
});
