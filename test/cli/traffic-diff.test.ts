import { expect } from 'chai';
import { trafficChanges } from '../../src/cli/traffic-diff.js';
import { buildModel } from '../../src/model/build.js';
import type { Ingress } from '../../src/objects/kube.js';
import { blueGreenCluster, endpointSlice, ingress, service } from '../support/fixtures.js';

const W = 'ingress.aliyun.weight/new-nginx';
const both = [{ service: 'old-nginx' }, { service: 'new-nginx' }];

function model(ingresses: Ingress[]) {
  const cluster = blueGreenCluster();
  return buildModel({
    ingresses,
    services: [...cluster.services, service('web', [{ port: 80 }, { port: 8080 }])],
    endpointSlices: [...cluster.endpointSlices, endpointSlice('web', ['10.0.0.5'], 80), endpointSlice('web', ['10.0.0.5'], 8080, { name: 'web-8080' })],
    ingressClasses: [],
    ingressClass: 'splitplane',
  }).model;
}

describe('cli/traffic-diff', () => {
  const cases: Array<{ title: string; before: Ingress[]; after: Ingress[]; lines: string[] }> = [
    {
      title: 'a weight flip names every backend with its share before and after',
      before: [ingress({ annotations: { [W]: '20' }, paths: both })],
      after: [ingress({ annotations: { [W]: '80' }, paths: both })],
      lines: ['mini-echo.io/: old-nginx 80% → 20%, new-nginx 20% → 80%'],
    },
    { title: 'nothing moves: no line', before: [ingress({ paths: both })], after: [ingress({ paths: both })], lines: [] },
    {
      title: 'a new path and a removed one say so',
      before: [ingress({ paths: [{ path: '/a', service: 'old-nginx' }] })],
      after: [ingress({ paths: [{ path: '/b', service: 'old-nginx' }] })],
      lines: ['mini-echo.io/a: old-nginx 100% → 0% (path removed)', 'mini-echo.io/b: old-nginx 0% → 100% (new path)'],
    },
    {
      title: 'one Service on two ports is two backends, named by port',
      before: [ingress({ paths: [{ service: 'web', port: 80 }] })],
      after: [
        ingress({
          paths: [
            { service: 'web', port: 80 },
            { service: 'web', port: 8080 },
          ],
        }),
      ],
      lines: ['mini-echo.io/: web/80 100% → 50%, web/8080 0% → 50%'],
    },
  ];
  for (const c of cases) it(c.title, () => expect(trafficChanges(model(c.before), model(c.after))).to.deep.equal(c.lines));
});
