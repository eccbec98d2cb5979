import { expect } from 'chai';
import { Controller } from '../src/controller.js';
import { createLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { ROUTE_TYPE } from '../src/resources/type-urls.js';
import { SnapshotCache } from '../src/snapshot/cache.js';
import { ObjectStore } from '../src/store/store.js';
import { endpointSlice, ingress, service } from './support/fixtures.js';

const W = 'ingress.aliyun.weight/new-nginx';

function setup() {
  const store = new ObjectStore();
  const cache = new SnapshotCache();
  const metrics = new Metrics();
  const lines: string[] = [];
  const controller = new Controller(store, cache, { ingressClass: 'splitplane', translate: { http: { address: '0.0.0.0', port: 8080 } } }, createLogger('info', {}, (l) => lines.push(l)), metrics);
  store.replaceSource('cluster', [service('old-nginx'), service('new-nginx'), endpointSlice('old-nginx', ['10.0.0.1'], 80), endpointSlice('new-nginx', ['10.0.0.2'], 80)]);
  const setIngress = (weight: string) => store.replaceSource('ingress', [ingress({ annotations: { [W]: weight }, paths: [{ service: 'old-nginx' }, { service: 'new-nginx' }] })]);
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
