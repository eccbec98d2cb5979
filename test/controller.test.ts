import { expect } from 'chai';
import { Controller } from '../src/controller.js';
import { MAX_DIAGNOSTICS_PER_OBJECT } from '../src/objects/diagnostics.js';
import { createLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../src/proto/type-urls.js';
import { SnapshotCache } from '../src/snapshot/cache.js';
import { ObjectStore } from '../src/store/store.js';
import { endpointSlice, ingress, service } from './support/fixtures.js';

const W = 'ingress.aliyun.weight/new-nginx';

function setup() {
  const store = new ObjectStore();
  const cache = new SnapshotCache();
  const metrics = new Metrics();
  const lines: string[] = [];
  const controller = new Controller(
    store,
    cache,
    { ingressClass: 'splitplane', translate: { http: { address: '0.0.0.0', port: 8080 } } },
    createLogger('info', {}, (l) => lines.push(l)),
    metrics,
  );
  store.replaceSource('cluster', [
    service('old-nginx'),
    service('new-nginx'),
    endpointSlice('old-nginx', ['10.0.0.1'], 80),
    endpointSlice('new-nginx', ['10.0.0.2'], 80),
  ]);
  const setIngress = (weight: string) =>
    store.replaceSource('ingress', [ingress({ annotations: { [W]: weight }, paths: [{ service: 'old-nginx' }, { service: 'new-nginx' }] })]);
  return { store, cache, metrics, lines, controller, setIngress };
}

describe('controller', () => {
  it('publishes a snapshot, and nothing when a rebuild changes nothing', () => {
    const { cache, controller, setIngress, metrics } = setup();
    setIngress('50');
    expect(controller.rebuild()).to.equal(cache.current());
    expect(controller.rebuild()).to.equal(undefined);
    expect(metrics.value('splitplane_builds_total', { result: 'published' })).to.equal(1);
    expect(metrics.value('splitplane_builds_total', { result: 'unchanged' })).to.equal(1);
  });

  it('a bad weight keeps the last accepted split, logs the diagnostic once, and counts it', () => {
    const { cache, controller, setIngress, lines, metrics } = setup();
    setIngress('50');
    controller.rebuild();
    const routes = cache.current()!.version(ROUTE_TYPE);
    setIngress('abc');
    controller.rebuild();
    controller.rebuild();
    expect(cache.current()!.version(ROUTE_TYPE)).to.equal(routes);
    const rejected = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'input rejected');
    expect(rejected).to.have.length(1);
    expect(rejected[0].field).to.equal(`metadata.annotations["${W}"]`);
    expect(metrics.value('splitplane_diagnostics', { severity: 'error' })).to.equal(1);
    setIngress('100');
    controller.rebuild();
    expect(cache.current()!.version(ROUTE_TYPE)).to.not.equal(routes);
    expect(controller.diagnostics()).to.deep.equal([]);
  });

  it('a weight flip changes the routes and leaves every other type the very same object (streams compare by identity)', () => {
    const { cache, controller, store, setIngress } = setup();
    store.replaceSource('other', [
      service('api'),
      endpointSlice('api', ['10.0.0.3'], 80),
      ingress({ name: 'api', host: 'api.test', paths: [{ service: 'api' }] }),
    ]);
    setIngress('50');
    const before = controller.rebuild()!;
    setIngress('20');
    const after = controller.rebuild()!;
    for (const t of [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE] as const) expect(after.type(t), t).to.equal(before.type(t));
    expect(after.type(ROUTE_TYPE, 'per-host'), 'the per-host route configuration').to.equal(before.type(ROUTE_TYPE, 'per-host'));
    expect(after.version(ROUTE_TYPE)).to.not.equal(before.version(ROUTE_TYPE));
    // Per host, only the flipped host is a new resource; the other keeps its encoded entry.
    const hosts = (s: typeof before) => s.type(VIRTUAL_HOST_TYPE).resources;
    expect(hosts(after).get('ingress_http/api.test')).to.equal(hosts(before).get('ingress_http/api.test'));
    expect(hosts(after).get('ingress_http/mini-echo.io')).to.not.equal(hosts(before).get('ingress_http/mini-echo.io'));
    expect(cache.current()).to.equal(after);
  });

  it('changes are debounced into one rebuild', async () => {
    const { controller, setIngress } = setup();
    setIngress('10');
    controller.changed();
    setIngress('20');
    controller.changed();
    await new Promise((r) => setTimeout(r, 600));
    expect(controller.builds).to.equal(1);
  });

  it('logs the stage timings of a published snapshot', () => {
    const { controller, setIngress, lines } = setup();
    setIngress('50');
    controller.rebuild();
    const published = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'snapshot published');
    expect(Object.keys(published.stagesMs)).to.deep.equal(['model', 'translate', 'encode', 'publish']);
  });
});

// Inputs from the hardening report: each once froze every later change or crashed the process. Now each
// is a diagnostic naming the object and field, and a later change of the good Ingress still flows.
const HOSTILE: Array<[string, string, { kind: string; name: string; field: string }]> = [
  [
    'v1 spec.rules as a string',
    'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad}\nspec:\n  rules: "string"\n',
    { kind: 'Ingress', name: 'bad', field: 'spec.rules' },
  ],
  [
    'v1 rules: [null]',
    'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad}\nspec:\n  rules: [null]\n',
    { kind: 'Ingress', name: 'bad', field: 'spec.rules[0]' },
  ],
  [
    'v1 paths: [null]',
    'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad}\nspec:\n  rules:\n  - host: a.test\n    http:\n      paths: [null]\n',
    { kind: 'Ingress', name: 'bad', field: 'spec.rules[0].http.paths[0]' },
  ],
  [
    'v1 tls: [null]',
    'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad}\nspec:\n  tls: [null]\n',
    { kind: 'Ingress', name: 'bad', field: 'spec.tls[0]' },
  ],
  [
    'legacy Ingress with a null rule',
    'apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: bad}\nspec:\n  rules:\n  - \n',
    { kind: 'Ingress', name: 'bad', field: 'spec.rules[0]' },
  ],
  [
    'legacy Ingress with a null path',
    'apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: bad}\nspec:\n  rules:\n  - host: a.test\n    http:\n      paths:\n      - \n',
    { kind: 'Ingress', name: 'bad', field: 'spec.rules[0].http.paths[0]' },
  ],
  [
    'EndpointSlice ports: "8080"',
    'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: old-nginx-2, labels: {kubernetes.io/service-name: old-nginx}}\naddressType: IPv4\nports: "8080"\nendpoints: [{addresses: ["10.0.0.9"]}]\n',
    { kind: 'EndpointSlice', name: 'old-nginx-2', field: 'ports' },
  ],
  [
    'EndpointSlice endpoints: [null]',
    'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: old-nginx-2, labels: {kubernetes.io/service-name: old-nginx}}\naddressType: IPv4\nendpoints: [null]\n',
    { kind: 'EndpointSlice', name: 'old-nginx-2', field: 'endpoints[0]' },
  ],
  [
    'EndpointSlice port 70000',
    'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: old-nginx-2, labels: {kubernetes.io/service-name: old-nginx}}\naddressType: IPv4\nports: [{port: 70000}]\nendpoints: [{addresses: ["10.0.0.9"]}]\n',
    { kind: 'EndpointSlice', name: 'old-nginx-2', field: 'ports[0].port' },
  ],
  [
    'EndpointSlice port -1',
    'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: old-nginx-2, labels: {kubernetes.io/service-name: old-nginx}}\naddressType: IPv4\nports: [{port: -1}]\nendpoints: [{addresses: ["10.0.0.9"]}]\n',
    { kind: 'EndpointSlice', name: 'old-nginx-2', field: 'ports[0].port' },
  ],
  [
    'EndpointSlice address not-an-ip',
    'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: old-nginx-2, labels: {kubernetes.io/service-name: old-nginx}}\naddressType: IPv4\nendpoints: [{addresses: [not-an-ip]}]\n',
    { kind: 'EndpointSlice', name: 'old-nginx-2', field: 'endpoints[0].addresses[0]' },
  ],
  [
    'EndpointSlice address 999.1.1.1',
    'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: old-nginx-2, labels: {kubernetes.io/service-name: old-nginx}}\naddressType: IPv4\nendpoints: [{addresses: [999.1.1.1]}]\n',
    { kind: 'EndpointSlice', name: 'old-nginx-2', field: 'endpoints[0].addresses[0]' },
  ],
  [
    'Ingress annotations as a list',
    'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: bad\n  annotations: [ingress.aliyun.weight/new-nginx=50]\nspec: {}\n',
    { kind: 'Ingress', name: 'bad', field: 'metadata.annotations' },
  ],
  [
    'Ingress host of 100 KB',
    `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad}\nspec:\n  rules:\n  - host: ${'a'.repeat(100_000)}.test\n`,
    { kind: 'Ingress', name: 'bad', field: 'spec.rules[0].host' },
  ],
  [
    'Service name with a newline',
    'apiVersion: v1\nkind: Service\nmetadata: {name: "old\\nnginx"}\nspec: {ports: [{port: 80}]}\n',
    { kind: 'Service', name: 'old\nnginx', field: 'metadata.name' },
  ],
  [
    'EndpointSlice address localhost',
    'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: old-nginx-2, labels: {kubernetes.io/service-name: old-nginx}}\naddressType: IPv4\nendpoints: [{addresses: [localhost]}]\n',
    { kind: 'EndpointSlice', name: 'old-nginx-2', field: 'endpoints[0].addresses[0]' },
  ],
  [
    'EndpointSlice addresses as a string',
    'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: old-nginx-2, labels: {kubernetes.io/service-name: old-nginx}}\naddressType: IPv4\nendpoints: [{addresses: "127.0.0.1"}]\n',
    { kind: 'EndpointSlice', name: 'old-nginx-2', field: 'endpoints[0].addresses' },
  ],
  [
    'Service ports: "80"',
    'apiVersion: v1\nkind: Service\nmetadata: {name: other}\nspec:\n  ports: "80"\n',
    { kind: 'Service', name: 'other', field: 'spec.ports' },
  ],
];

describe('controller: hostile manifests never freeze the rebuild loop', () => {
  for (const [description, yaml, expected] of HOSTILE) {
    it(`${description}: an error at ${expected.kind} ${expected.name} ${expected.field}, and later changes flow`, async () => {
      const { parseManifests } = await import('../src/source/manifests.js');
      const { cache, controller, setIngress, store } = setup();
      setIngress('50');
      controller.rebuild();
      const parsed = parseManifests(yaml, 'bad.yaml');
      expect(parsed.failed).to.equal(false);
      store.replaceSource('bad', parsed.objects);
      controller.rebuild();
      const found = controller
        .diagnostics()
        .filter((d) => d.severity === 'error' && d.object.kind === expected.kind && d.object.name === expected.name && d.field === expected.field);
      expect(found, JSON.stringify(controller.diagnostics())).to.have.length(1);
      expect(controller.diagnostics()[0]!.severity, 'errors are listed first').to.equal('error');
      const before = cache.current()!.version(ROUTE_TYPE);
      setIngress('100');
      expect(controller.rebuild(), 'a later change is published').to.not.equal(undefined);
      expect(cache.current()!.version(ROUTE_TYPE)).to.not.equal(before);
    });
  }

  it('one Ingress with 135,000 invalid paths is a diagnostic on it, the rebuild finishes, and other changes flow', () => {
    const { cache, controller, setIngress, store } = setup();
    setIngress('50');
    controller.rebuild();
    const paths = Array.from({ length: 135_000 }, (_, i) => ({
      path: `bad-${i}`,
      pathType: 'Prefix',
      backend: { service: { name: 'old-nginx', port: { number: 80 } } },
    }));
    const huge = { ...ingress({ name: 'huge', host: 'huge.test' }), spec: { rules: [{ host: 'huge.test', http: { paths } }] } };
    store.replaceSource('huge', [huge]);
    expect(() => controller.rebuild(), 'no stack overflow').to.not.throw();
    const onHuge = controller.diagnostics().filter((d) => d.object.name === 'huge');
    expect(onHuge.some((d) => d.severity === 'error' && d.field.startsWith('spec.rules[0].http.paths['))).to.equal(true);
    expect(onHuge.length, 'diagnostics per object are capped').to.be.at.most(MAX_DIAGNOSTICS_PER_OBJECT + 1);
    expect(
      controller.diagnostics().some((d) => d.object.kind === 'Splitplane'),
      'no failed rebuild',
    ).to.equal(false);
    const before = cache.current()!.version(ROUTE_TYPE);
    setIngress('100');
    expect(controller.rebuild(), 'a later change is published').to.not.equal(undefined);
    expect(cache.current()!.version(ROUTE_TYPE)).to.not.equal(before);
  });

  it('a weight written as a list ([50]) is not read as 50: a warning on the field, and the last split keeps serving', async () => {
    const { parseManifests } = await import('../src/source/manifests.js');
    const { cache, controller, setIngress, store } = setup();
    setIngress('10');
    controller.rebuild();
    const routes = cache.current()!.version(ROUTE_TYPE);
    const yaml = `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: echo\n  namespace: default\n  annotations:\n    ${W}: [50]\nspec:\n  rules:\n  - host: mini-echo.io\n    http:\n      paths:\n      - {path: /, pathType: Prefix, backend: {service: {name: old-nginx, port: {number: 80}}}}\n      - {path: /, pathType: Prefix, backend: {service: {name: new-nginx, port: {number: 80}}}}\n`;
    store.replaceSource('ingress', parseManifests(yaml, 'echo.yaml').objects);
    controller.rebuild();
    const field = `metadata.annotations["${W}"]`;
    expect(
      controller
        .diagnostics()
        .filter((d) => d.field === field)
        .map((d) => d.severity)
        .sort(),
    ).to.deep.equal(['error', 'warning']);
    expect(cache.current()!.version(ROUTE_TYPE), 'the 10 % split keeps serving').to.equal(routes);
  });

  it('a failed rebuild is a diagnostic, not only a log line', () => {
    const { controller, setIngress, store } = setup();
    setIngress('50');
    (store as unknown as { list: () => never }).list = () => {
      throw new Error('boom');
    };
    expect(controller.rebuild()).to.equal(undefined);
    expect(controller.diagnostics().map((d) => [d.object.kind, d.severity])).to.deep.include(['Splitplane', 'error']);
  });
});
