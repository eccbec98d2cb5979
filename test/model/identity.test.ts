import { expect } from 'chai';
import { buildModel } from '../../src/model/build.js';
import { keepIdentity, same } from '../../src/model/identity.js';
import { ingress, blueGreenCluster, service, endpointSlice } from '../support/fixtures.js';

const W = 'ingress.aliyun.weight/new-nginx';

function model(percent: string) {
  const { services, endpointSlices } = blueGreenCluster();
  return buildModel({
    ingresses: [
      ingress({ name: 'echo', annotations: { [W]: percent }, paths: [{ service: 'old-nginx' }, { service: 'new-nginx' }] }),
      ingress({ name: 'api', host: 'api.test', paths: [{ service: 'api' }] }),
    ],
    services: [...services, service('api')],
    endpointSlices: [...endpointSlices, endpointSlice('api', ['10.0.0.3'], 80)],
    ingressClasses: [],
    ingressClass: 'splitplane',
  }).model;
}

describe('model/identity', () => {
  it('an unchanged host keeps the object of the last build; a changed one is the new object', () => {
    const before = model('50');
    const after = keepIdentity(before, model('20'));
    const host = (m: typeof before, h: string) => m.virtualHosts.find((v) => v.host === h)!;
    expect(host(after, 'api.test')).to.equal(host(before, 'api.test'));
    expect(host(after, 'mini-echo.io')).to.not.equal(host(before, 'mini-echo.io'));
    expect(host(after, 'mini-echo.io').groups[0]!.backends.map((v) => v.basisPoints)).to.deep.equal([8000, 2000]);
  });

  it('keeps everything, and returns the new model unchanged, when nothing is the same', () => {
    const next = model('50');
    expect(keepIdentity(undefined, next)).to.equal(next);
    expect(keepIdentity({ ...next, virtualHosts: [] }, next)).to.equal(next);
  });

  const table: Array<[unknown, unknown, boolean]> = [
    [{ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 }, true],
    [{ a: 1 }, { a: 1, b: undefined }, false],
    [[1, 2], [2, 1], false],
    [{ a: [] }, { a: {} }, false],
    [null, {}, false],
    ['1', 1, false],
  ];
  for (const [a, b, expected] of table) {
    it(`same(${JSON.stringify(a)}, ${JSON.stringify(b)}) is ${expected}`, () => expect(same(a, b)).to.equal(expected));
  }
});
