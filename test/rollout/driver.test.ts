// The rollout driver through the controller: the first build of an annotated Ingress already serves the
// first step, every dialect's split can be rolled out, bad input leaves the weights as they were, and a
// restart resumes where the state file says.

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Controller } from '../../src/controller.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import type { SplitGroup } from '../../src/model/types.js';
import { RolloutDriver, type RolloutInputs } from '../../src/rollout/driver.js';
import type { WindowFigures } from '../../src/rollout/machine.js';
import { FileStateStore } from '../../src/rollout/state-store.js';
import { SnapshotCache } from '../../src/snapshot/cache.js';
import { ObjectStore } from '../../src/store/store.js';
import type { Ingress } from '../../src/objects/kube.js';
import { groupKey } from '../../src/fleet/report.js';
import type { GroupRollout } from '../../src/fleet/rollout.js';
import { endpointSlice, ingress, service } from '../support/fixtures.js';
import { gateway, gatewayClass, httpRoute, listener } from '../support/gateway-fixtures.js';
import { rolloutGroups } from '../../src/rollout/groups.js';

const R = 'splitplane.io/rollout';
const N = 'nginx.ingress.kubernetes.io/';
const FIELD = `metadata.annotations["${R}"]`;

function setup(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollout-state-')), reportIntervalMs = 1000) {
  const store = new ObjectStore();
  const cache = new SnapshotCache();
  let now = 1_000_000;
  const lines: string[] = [];
  const stateStore = new FileStateStore(dir, 'test');
  stateStore.load();
  // eslint-disable-next-line prefer-const -- the driver and the controller refer to each other
  let controller: Controller;
  const driver = new RolloutDriver(
    stateStore,
    { reportIntervalMs, leader: () => true, now: () => now, changed: () => controller.rebuild() },
    createLogger('info', {}, (l) => lines.push(l)),
  );
  controller = new Controller(
    store,
    cache,
    { ingressClass: 'splitplane', translate: { http: { address: '0.0.0.0', port: 8080 } }, rollouts: driver },
    silentLogger,
    new Metrics(),
  );
  store.replaceSource('cluster', [
    service('old-nginx'),
    service('new-nginx'),
    endpointSlice('old-nginx', ['10.0.0.1'], 80),
    endpointSlice('new-nginx', ['10.0.0.2'], 80),
  ]);
  const weights = () => {
    const group = controller.currentModel()!.virtualHosts[0]!.groups[0]!;
    return Object.fromEntries(group.backends.map((b) => [b.service, b.basisPoints]));
  };
  /** One look with every proxy running the served weights and `target` figures for new. */
  const tick = (target: WindowFigures, advanceMs: number) => {
    now += advanceMs;
    const model = controller.currentModel()!;
    const inputs: RolloutInputs = {
      published: () => model,
      fleet: () =>
        model.virtualHosts.flatMap((v) =>
          v.groups.map(
            (g: SplitGroup) =>
              ({
                ...g,
                ingress: '',
                weights: '',
                backends: [],
                rules: [],
                versions: { whole: null, perHost: null, grpc: null },
                applied: 1,
                connected: 1,
                text: '',
              }) as unknown as GroupRollout,
          ),
        ),
      figures: (_host, clusters) => (clusters.includes('default/new-nginx/80') ? target : { considered: 1000, counted: 1000, successRate: 1, p99Ms: null }),
      reportsTaken: () => now,
    };
    driver.tick(inputs);
  };
  return { store, controller, driver, weights, tick, dir, lines, diagnostics: () => controller.diagnostics(), advance: (ms: number) => (now += ms) };
}

const healthy: WindowFigures = { considered: 500, counted: 500, successRate: 1, p99Ms: null };
const SPEC = 'new-nginx; steps=10,50,100; interval=10s; min-requests=100';

const aliyun = (annotations: Record<string, string>) =>
  ingress({ annotations: { 'ingress.aliyun.weight/new-nginx': '0', ...annotations }, paths: [{ service: 'old-nginx' }, { service: 'new-nginx' }] });

describe('rollout/driver', () => {
  const dialects: Array<[string, Ingress[]]> = [
    ['aliyun weight', [aliyun({ [R]: SPEC })]],
    [
      'ACK service-weight',
      [
        ingress({
          annotations: { [`${N}service-weight`]: 'new-nginx: 0, old-nginx: 100', [R]: SPEC },
          paths: [{ service: 'old-nginx' }, { service: 'new-nginx' }],
        }),
      ],
    ],
    [
      'ingress-nginx canary-weight (the annotation on the canary Ingress)',
      [
        ingress({ name: 'main', paths: [{ service: 'old-nginx' }], creationTimestamp: '2026-01-01T00:00:00Z' }),
        ingress({ name: 'canary', annotations: { [`${N}canary`]: 'true', [`${N}canary-weight`]: '0', [R]: SPEC }, paths: [{ service: 'new-nginx' }] }),
      ],
    ],
  ];
  for (const [dialect, ingresses] of dialects)
    it(`${dialect}: the first build serves the first step, and the steps follow`, () => {
      const t = setup();
      t.store.replaceSource('ingress', ingresses);
      t.controller.rebuild();
      expect(t.weights()).to.deep.equal({ 'old-nginx': 9000, 'new-nginx': 1000 });
      t.tick(healthy, 1000);
      t.tick(healthy, 10_000);
      expect(t.weights()).to.deep.equal({ 'old-nginx': 5000, 'new-nginx': 5000 });
      expect(t.diagnostics().map((d) => d.message)).to.include('rollout on mini-echo.io/: new-nginx at 50%, step 2 of 3');
    });

  it('an HTTPRoute rule: the annotation on the route grows its backendRef step by step, and an abort takes it back, with the reason on the route', () => {
    const t = setup();
    const route = httpRoute(
      'echo',
      {
        parentRefs: [{ name: 'web' }],
        hostnames: ['mini-echo.io'],
        rules: [
          {
            backendRefs: [
              { name: 'old-nginx', port: 80 },
              { name: 'new-nginx', port: 80, weight: 0 },
            ],
          },
        ],
      },
      {},
    );
    route.metadata.annotations = { [R]: `${SPEC}; threshold=1` };
    t.store.replaceSource('gateway', [gatewayClass(), gateway([listener('http', 9080)]), route] as never);
    t.controller.rebuild();
    const rule = () => t.controller.currentModel()!.gatewayPorts![0]!.virtualHosts[0]!.gatewayRoutes![0]!.rule;
    const split = () => Object.fromEntries(rule().backends.map((b) => [b.service, b.basisPoints]));
    expect(split()).to.deep.equal({ 'old-nginx': 9000, 'new-nginx': 1000 });
    const look = (target: WindowFigures, ms: number) => {
      t.advance(ms);
      const model = t.controller.currentModel()!;
      t.driver.tick({
        published: () => model,
        fleet: () =>
          rolloutGroups(model).map((g) => ({ host: g.host, path: g.path, pathType: g.pathType, applied: 1, connected: 1 }) as unknown as GroupRollout),
        figures: (_host, clusters) => (clusters.includes('default/new-nginx/80') ? target : { considered: 1000, counted: 1000, successRate: 1, p99Ms: null }),
        reportsTaken: () => Math.random(),
      });
    };
    look(healthy, 1000);
    look(healthy, 10_000);
    expect(split()).to.deep.equal({ 'old-nginx': 5000, 'new-nginx': 5000 });
    expect(t.driver.status()[0]).to.include({ ingress: 'HTTPRoute/default/echo', phase: 'progressing', step: 2 });
    look(healthy, 1000); // every proxy runs the 50% step: from here it is judged
    look({ considered: 200, counted: 200, successRate: 0.5, p99Ms: null }, 1000);
    expect(split()).to.deep.equal({ 'old-nginx': 10000, 'new-nginx': 0 });
    const d = t.diagnostics().find((x) => x.field === FIELD)!;
    expect(d.object).to.deep.equal({ kind: 'HTTPRoute', namespace: 'default', name: 'echo' });
    expect(d.message).to.match(/aborted at 50%/);
  });

  it('an aborted rollout puts all weight on the stable version and says why on the Ingress', () => {
    const t = setup();
    t.store.replaceSource('ingress', [aliyun({ [R]: `${SPEC}; threshold=1` })]);
    t.controller.rebuild();
    t.tick(healthy, 1000);
    t.tick({ considered: 200, counted: 200, successRate: 0.8, p99Ms: null }, 1000);
    expect(t.weights()).to.deep.equal({ 'old-nginx': 10000, 'new-nginx': 0 });
    const d = t.diagnostics().find((x) => x.field === FIELD)!;
    expect([d.severity, d.message]).to.deep.equal([
      'warning',
      'rollout on mini-echo.io/: aborted at 10%: new-nginx success rate 80% over 200 requests is below min-success 99% (1 failed check in a row); all traffic is back on the stable version',
    ]);
    expect(t.lines.some((l) => l.includes('"reason":"RolloutAborted"'))).to.equal(true);
  });

  it('bad input names the field and keeps the weights as they are', () => {
    const t = setup();
    t.store.replaceSource('ingress', [aliyun({ 'ingress.aliyun.weight/new-nginx': '20' })]);
    t.controller.rebuild();
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ [R]: 'new-nginx; steps=5,120' }, /step "120": 120 is more than 100 percent; the weights stay as they are/],
      [{ [R]: 'new-nginx; steps=50,25' }, /steps must increase/],
      [{ [R]: 'newer-nginx' }, /"newer-nginx" is not a backend of this Ingress \(old-nginx, new-nginx\)/],
      [{ [R]: 'new-nginx; interval=800ms' }, /interval: 800 ms is outside 1s to 24h/],
    ];
    for (const [annotations, message] of cases) {
      t.store.replaceSource('ingress', [aliyun({ 'ingress.aliyun.weight/new-nginx': '20', ...annotations })]);
      t.controller.rebuild();
      expect(t.weights(), JSON.stringify(annotations)).to.deep.equal({ 'old-nginx': 8000, 'new-nginx': 2000 });
      const errors = t.diagnostics().filter((d) => d.severity === 'error');
      expect(errors.map((d) => d.field)).to.include(FIELD);
      expect(errors.map((d) => d.message).join('\n')).to.match(message);
    }
  });

  it('an interval shorter than the report interval: an error, and the rollout does not start', () => {
    const t = setup(undefined, 5000);
    t.store.replaceSource('ingress', [aliyun({ 'ingress.aliyun.weight/new-nginx': '20', [R]: 'new-nginx; interval=2s' })]);
    t.controller.rebuild();
    expect(t.weights()).to.deep.equal({ 'old-nginx': 8000, 'new-nginx': 2000 });
    expect(t.diagnostics().find((d) => d.field === FIELD)!.message).to.match(
      /^interval is shorter than the proxies' report interval \(5s, --load-report-interval-ms\).*the rollout does not start and the weights stay as declared/,
    );
  });

  it('a spec turned invalid goes on with the last valid one; if that one grows a version the group lost, nothing is rolled out', () => {
    const t = setup(undefined, 5000);
    t.store.replaceSource('ingress', [aliyun({ [R]: 'new-nginx; interval=10s' })]);
    t.controller.rebuild();
    expect(t.weights()['new-nginx']).to.equal(500);
    t.store.replaceSource('ingress', [aliyun({ [R]: 'new-nginx; interval=2s' })]);
    t.controller.rebuild();
    expect(t.weights()['new-nginx']).to.equal(500);
    expect(t.diagnostics().find((d) => d.severity === 'error')!.message).to.match(/the rollout goes on with its last valid spec/);
    t.store.replaceSource('cluster', [
      service('old-nginx'),
      service('other'),
      endpointSlice('old-nginx', ['10.0.0.1'], 80),
      endpointSlice('other', ['10.0.0.3'], 80),
    ]);
    t.store.replaceSource('ingress', [
      ingress({ annotations: { 'ingress.aliyun.weight/other': '0', [R]: 'other; interval=2s' }, paths: [{ service: 'old-nginx' }, { service: 'other' }] }),
    ]);
    t.controller.rebuild();
    expect(t.weights()).to.deep.equal({ 'old-nginx': 10000, other: 0 });
  });

  it('a restart resumes at the step the state file holds, never from zero', async () => {
    const t = setup();
    t.store.replaceSource('ingress', [aliyun({ [R]: SPEC })]);
    t.controller.rebuild();
    t.tick(healthy, 1000);
    t.tick(healthy, 10_000);
    expect(t.weights()['new-nginx']).to.equal(5000);
    await t.driver.flush();
    const saved = JSON.parse(fs.readFileSync(fs.readdirSync(t.dir).map((f) => path.join(t.dir, f))[0]!, 'utf8')) as { rollouts: Array<{ group: string }> };
    expect(saved.rollouts.map((r) => r.group)).to.deep.equal(['mini-echo.io / Prefix']);
    // A new process on the same state folder.
    const again = setup(t.dir);
    again.store.replaceSource('ingress', [aliyun({ [R]: SPEC })]);
    again.controller.rebuild();
    expect(again.weights()['new-nginx']).to.equal(5000);
  });

  it('removing the annotation ends the rollout: the manifest weights serve, and the state is dropped', async () => {
    const t = setup();
    t.store.replaceSource('ingress', [aliyun({ [R]: SPEC })]);
    t.controller.rebuild();
    t.store.replaceSource('ingress', [aliyun({ 'ingress.aliyun.weight/new-nginx': '100' })]);
    t.controller.rebuild();
    expect(t.weights()).to.deep.equal({ 'old-nginx': 0, 'new-nginx': 10000 });
    expect(t.driver.status()).to.deep.equal([]);
    await t.driver.flush();
  });

  it('commands go to the Ingress carrying the rollout; another Ingress has none', () => {
    const t = setup();
    t.store.replaceSource('ingress', [aliyun({ [R]: SPEC })]);
    t.controller.rebuild();
    expect(t.driver.command('default/other', 'pause')).to.deep.equal([]);
    expect(t.driver.command('default/echo', 'promote')).to.deep.equal([groupKey({ host: 'mini-echo.io', path: '/', pathType: 'Prefix' })]);
    t.tick(healthy, 1000);
    expect(t.weights()['new-nginx']).to.equal(10000);
    expect(t.driver.status()[0]).to.include({ phase: 'complete', step: 3, steps: 3, basisPoints: 10000 });
  });
});
