import { expect } from 'chai';
import { DiagnosticSink } from '../../src/objects/diagnostics.js';
import { PlanCache } from '../../src/model/plan-cache.js';
import { ingress } from '../support/fixtures.js';

describe('model/plan-cache', () => {
  const sink = () => new DiagnosticSink({ kind: 'Ingress', namespace: 'default', name: 'echo' });

  it('planOnce plans an Ingress object once, and hands its diagnostics to every caller', () => {
    const cache = new PlanCache();
    const bad = ingress({ annotations: { 'ingress.aliyun.weight/new-nginx': 'abc' }, paths: [{ service: 'old-nginx' }, { service: 'new-nginx' }] });
    const first = sink();
    const second = sink();
    expect(cache.planOnce(bad, first)).to.equal(null);
    expect(cache.planOnce(bad, second)).to.equal(null);
    expect(second.items).to.deep.equal(first.items);
    expect(second.hasErrors()).to.equal(true);

    const good = ingress({ annotations: { 'ingress.aliyun.weight/new-nginx': '20' }, paths: [{ service: 'old-nginx' }, { service: 'new-nginx' }] });
    const plan = cache.planOnce(good, sink());
    expect(cache.planOnce(good, sink()), 'the same object: the same plan').to.equal(plan);
    expect(plan?.groups[0]!.declared).to.deep.equal([8000, 2000]);
  });

  it('a new object is planned anew, even when it equals an old one: nothing stale is served', () => {
    const cache = new PlanCache();
    const make = (percent: string) =>
      ingress({ annotations: { 'ingress.aliyun.weight/new-nginx': percent }, paths: [{ service: 'old-nginx' }, { service: 'new-nginx' }] });
    const a = cache.planOnce(make('30'), sink());
    const b = cache.planOnce(make('30'), sink());
    expect(b).to.not.equal(a);
    expect(b).to.deep.equal(a);
    expect(cache.planOnce(make('60'), sink())?.groups[0]!.declared).to.deep.equal([4000, 6000]);
  });
});
