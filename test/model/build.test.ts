import { expect } from 'chai';
import { buildModel, type ModelInput } from '../../src/model/build.js';
import type { Ingress } from '../../src/objects/kube.js';
import type { SplitGroup } from '../../src/model/types.js';
import { endpointSlice, ingress, ingressClass, blueGreenCluster, service } from '../support/fixtures.js';

const W = 'ingress.aliyun.weight/';
const blueGreenPaths = [{ service: 'old-nginx' }, { service: 'new-nginx' }];

function input(ingresses: Ingress[], extra: Partial<ModelInput> = {}): ModelInput {
  return { ingresses, ...blueGreenCluster(), ingressClasses: [], ingressClass: 'splitplane', ...extra };
}

function split(group: SplitGroup | undefined): Record<string, number> {
  return Object.fromEntries((group?.backends ?? []).map((v) => [v.service, v.basisPoints]));
}

function onlyGroup(result: ReturnType<typeof buildModel>): SplitGroup {
  const vhost = result.model.virtualHosts.find((v) => v.host === 'mini-echo.io');
  expect(vhost, 'virtual host mini-echo.io').to.exist;
  expect(vhost!.groups).to.have.length(1);
  return vhost!.groups[0]!;
}

describe('model/build', () => {
  describe('the blue-green walkthrough', () => {
    it('before the release: old-nginx alone', () => {
      const r = buildModel(input([ingress({ paths: [{ service: 'old-nginx' }] })]));
      expect(split(onlyGroup(r))).to.deep.equal({ 'old-nginx': 10000 });
      expect(r.diagnostics).to.deep.equal([]);
    });
    it('new-nginx at 50', () => {
      const r = buildModel(input([ingress({ annotations: { [W + 'new-nginx']: '50' }, paths: blueGreenPaths })]));
      expect(split(onlyGroup(r))).to.deep.equal({ 'old-nginx': 5000, 'new-nginx': 5000 });
    });
    it('new-nginx at 100', () => {
      const r = buildModel(input([ingress({ annotations: { [W + 'new-nginx']: '100' }, paths: blueGreenPaths })]));
      expect(split(onlyGroup(r))).to.deep.equal({ 'old-nginx': 0, 'new-nginx': 10000 });
    });
    it('finished: annotation and old backend removed', () => {
      const r = buildModel(input([ingress({ paths: [{ service: 'new-nginx' }] })]));
      expect(split(onlyGroup(r))).to.deep.equal({ 'new-nginx': 10000 });
      expect(r.model.clusters.map((c) => c.name)).to.deep.equal(['default/new-nginx/80']);
    });
  });

  describe('the last accepted form keeps serving', () => {
    const good = ingress({ annotations: { [W + 'new-nginx']: '50' }, paths: blueGreenPaths });
    for (const bad of ['abc', '150']) {
      it(`a weight of ${JSON.stringify(bad)} is rejected and 50/50 stays`, () => {
        const first = buildModel(input([good]));
        const broken = ingress({ annotations: { [W + 'new-nginx']: bad }, paths: blueGreenPaths });
        const second = buildModel(input([broken]), first.accepted);
        expect(split(onlyGroup(second))).to.deep.equal({ 'old-nginx': 5000, 'new-nginx': 5000 });
        const errors = second.diagnostics.filter((d) => d.severity === 'error');
        expect(errors).to.have.length(1);
        expect(errors[0]!.object).to.deep.equal({ kind: 'Ingress', namespace: 'default', name: 'echo' });
        expect(errors[0]!.field).to.equal('metadata.annotations["ingress.aliyun.weight/new-nginx"]');
        expect(second.diagnostics.some((d) => d.message.includes('last accepted version'))).to.equal(true);
        expect(second.accepted.get('Ingress/default/echo')).to.equal(good);
      });
    }
    it('an Ingress never accepted is not served', () => {
      const r = buildModel(input([ingress({ annotations: { [W + 'new-nginx']: 'abc' }, paths: blueGreenPaths })]));
      expect(r.model.virtualHosts).to.deep.equal([]);
      expect(r.diagnostics.some((d) => d.message.includes('never been accepted'))).to.equal(true);
    });
    it('a fixed Ingress replaces the accepted form', () => {
      const first = buildModel(input([ingress({ annotations: { [W + 'new-nginx']: '50' }, paths: blueGreenPaths })]));
      const second = buildModel(input([ingress({ annotations: { [W + 'new-nginx']: '100' }, paths: blueGreenPaths })]), first.accepted);
      expect(split(onlyGroup(second))).to.deep.equal({ 'old-nginx': 0, 'new-nginx': 10000 });
    });
    it('a deleted Ingress is forgotten', () => {
      const first = buildModel(input([ingress({ paths: blueGreenPaths })]));
      const second = buildModel(input([]), first.accepted);
      expect([...second.accepted.keys()].filter((k) => k.startsWith('Ingress/'))).to.deep.equal([]);
      expect(second.model.virtualHosts).to.deep.equal([]);
    });
  });

  describe('readiness', () => {
    const annotated = ingress({ annotations: { [W + 'new-nginx']: '50' }, paths: blueGreenPaths });
    it('a version without ready endpoints gives its share to the others, with a warning', () => {
      const r = buildModel(
        input([annotated], {
          endpointSlices: [endpointSlice('old-nginx', ['10.0.0.1'], 80), endpointSlice('new-nginx', [{ address: '10.0.0.2', ready: false }], 80)],
        }),
      );
      expect(split(onlyGroup(r))).to.deep.equal({ 'old-nginx': 10000, 'new-nginx': 0 });
      const warning = r.diagnostics.find((d) => d.severity === 'warning');
      expect(warning?.field).to.equal('spec.rules[0].http.paths[1].backend.service.name');
      expect(warning?.message).to.contain('no ready endpoints');
      expect(r.model.clusters.map((c) => c.name)).to.include('default/new-nginx/80');
    });
    it('a missing Service is not ready', () => {
      const r = buildModel(input([annotated], { services: [service('old-nginx')] }));
      expect(split(onlyGroup(r))).to.deep.equal({ 'old-nginx': 10000, 'new-nginx': 0 });
      expect(r.diagnostics[0]!.message).to.contain('Service default/new-nginx does not exist');
      expect(onlyGroup(r).backends[1]!.cluster).to.equal(null);
    });
    it('a port the Service does not have is not ready', () => {
      const r = buildModel(input([ingress({ paths: [{ service: 'old-nginx' }, { service: 'new-nginx', port: 8080 }] })]));
      expect(split(onlyGroup(r))).to.deep.equal({ 'old-nginx': 10000, 'new-nginx': 0 });
      expect(r.diagnostics[0]!.message).to.contain('has no TCP port 8080');
    });
    it('nothing ready keeps the declared weights and says so', () => {
      const r = buildModel(input([annotated], { endpointSlices: [] }));
      expect(split(onlyGroup(r))).to.deep.equal({ 'old-nginx': 5000, 'new-nginx': 5000 });
      expect(r.diagnostics.every((d) => d.message.includes('503'))).to.equal(true);
    });
    it('new at 100 but not ready: the running old version takes the traffic', () => {
      const at100 = ingress({ annotations: { [W + 'new-nginx']: '100' }, paths: blueGreenPaths });
      const r = buildModel(input([at100], { endpointSlices: [endpointSlice('old-nginx', ['10.0.0.1'], 80)] }));
      expect(split(onlyGroup(r))).to.deep.equal({ 'old-nginx': 10000, 'new-nginx': 0 });
      expect(r.diagnostics.some((d) => d.message.includes('share the traffic equally'))).to.equal(true);
    });
    it('named ports resolve through the Service and the EndpointSlice port name', () => {
      const r = buildModel(
        input([ingress({ paths: [{ service: 'web', port: 'http' }] })], {
          services: [
            service('web', [
              { port: 8000, name: 'http' },
              { port: 9000, name: 'metrics' },
            ]),
          ],
          endpointSlices: [endpointSlice('web', ['10.0.0.9'], 8080, { portName: 'http' })],
        }),
      );
      expect(r.model.clusters).to.deep.equal([
        { name: 'default/web/8000', namespace: 'default', service: 'web', port: 8000, endpoints: [{ address: '10.0.0.9', port: 8080 }] },
      ]);
    });
  });

  describe('Ingress structure', () => {
    it('groups path entries by host, path and pathType, in manifest order', () => {
      const r = buildModel(
        input([
          ingress({
            paths: [
              { service: 'old-nginx', path: '/a' },
              { service: 'new-nginx', path: '/b' },
              { service: 'new-nginx', path: '/a' },
            ],
          }),
        ]),
      );
      const vhost = r.model.virtualHosts[0];
      expect(vhost!.groups.map((g) => [g.path, g.backends.map((v) => v.service)])).to.deep.equal([
        ['/a', ['old-nginx', 'new-nginx']],
        ['/b', ['new-nginx']],
      ]);
    });
    it('the same path with another pathType is another group', () => {
      const r = buildModel(
        input([
          ingress({
            paths: [
              { service: 'old-nginx', pathType: 'Exact' },
              { service: 'new-nginx', pathType: 'Prefix' },
            ],
          }),
        ]),
      );
      expect(r.model.virtualHosts[0]!.groups).to.have.length(2);
    });
    it('rules without host go to the * virtual host; the default backend is on every virtual host', () => {
      const r = buildModel(
        input([
          ingress({
            rules: [{ host: 'mini-echo.io', paths: [{ service: 'new-nginx' }] }, { paths: [{ service: 'old-nginx', path: '/x' }] }],
            defaultBackend: { service: 'old-nginx' },
          }),
        ]),
      );
      expect(r.model.virtualHosts.map((v) => v.host)).to.deep.equal(['*', 'mini-echo.io']);
      for (const v of r.model.virtualHosts) expect(split(v.defaultBackend)).to.deep.equal({ 'old-nginx': 10000 });
    });
    it('an older Ingress keeps a host and path that a newer one also claims', () => {
      const older = ingress({ name: 'a-old', creationTimestamp: '2026-01-01T00:00:00Z', paths: [{ service: 'old-nginx' }] });
      const newer = ingress({ name: 'b-new', creationTimestamp: '2026-02-01T00:00:00Z', paths: [{ service: 'new-nginx' }] });
      const r = buildModel(input([newer, older]));
      expect(split(onlyGroup(r))).to.deep.equal({ 'old-nginx': 10000 });
      expect(r.diagnostics).to.have.length(1);
      expect(r.diagnostics[0]!.object.name).to.equal('b-new');
      expect(r.diagnostics[0]!.field).to.equal('spec.rules[0].http.paths[0]');
    });
    const invalid: Array<[string, (i: Ingress) => void, string]> = [
      [
        'a bad host',
        (i) => {
          i.spec.rules![0]!.host = 'Bad_Host';
        },
        'spec.rules[0].host',
      ],
      [
        'an unknown pathType',
        (i) => {
          i.spec.rules![0]!.http!.paths[0]!.pathType = 'Regex';
        },
        'spec.rules[0].http.paths[0].pathType',
      ],
      [
        'a path without a leading slash',
        (i) => {
          i.spec.rules![0]!.http!.paths[0]!.path = 'foo';
        },
        'spec.rules[0].http.paths[0].path',
      ],
      [
        'a resource backend',
        (i) => {
          i.spec.rules![0]!.http!.paths[0]!.backend = { resource: { kind: 'Bucket', name: 'b' } };
        },
        'spec.rules[0].http.paths[0].backend.resource',
      ],
      [
        'a backend without service name',
        (i) => {
          i.spec.rules![0]!.http!.paths[0]!.backend = { service: { name: '', port: { number: 80 } } };
        },
        'spec.rules[0].http.paths[0].backend.service.name',
      ],
      [
        'a backend without port',
        (i) => {
          i.spec.rules![0]!.http!.paths[0]!.backend = { service: { name: 'old-nginx' } };
        },
        'spec.rules[0].http.paths[0].backend.service.port',
      ],
      [
        'a port out of range',
        (i) => {
          i.spec.rules![0]!.http!.paths[0]!.backend = { service: { name: 'old-nginx', port: { number: 70000 } } };
        },
        'spec.rules[0].http.paths[0].backend.service.port.number',
      ],
    ];
    for (const [title, mutate, field] of invalid) {
      it(`${title} is an error naming ${field}`, () => {
        const bad = ingress({ paths: blueGreenPaths });
        mutate(bad);
        const r = buildModel(input([bad]));
        const error = r.diagnostics.find((d) => d.severity === 'error');
        expect(error?.field).to.equal(field);
        expect(r.model.virtualHosts).to.deep.equal([]);
      });
    }
  });

  describe('IngressClass', () => {
    it('serves Ingresses of our class and without class, ignores others quietly', () => {
      const r = buildModel(
        input([
          ingress({ name: 'ours', host: 'a.io', ingressClassName: 'splitplane' }),
          ingress({ name: 'none', host: 'b.io' }),
          ingress({ name: 'theirs', host: 'c.io', ingressClassName: 'nginx' }),
        ]),
      );
      expect(r.model.virtualHosts.map((v) => v.host)).to.deep.equal(['a.io', 'b.io']);
      expect(r.diagnostics).to.deep.equal([]);
    });
    it('the legacy annotation names the class too', () => {
      const i = ingress({ host: 'a.io' });
      i.metadata.annotations = { 'kubernetes.io/ingress.class': 'nginx' };
      expect(buildModel(input([i])).model.virtualHosts).to.deep.equal([]);
    });
    it('Ingresses without class belong to another controller whose IngressClass is default', () => {
      const r = buildModel(input([ingress({ host: 'b.io' })], { ingressClasses: [ingressClass('nginx', 'k8s.io/ingress-nginx', true)] }));
      expect(r.model.virtualHosts).to.deep.equal([]);
    });
    it('...and to us when our IngressClass is the default', () => {
      const r = buildModel(input([ingress({ host: 'b.io' })], { ingressClasses: [ingressClass('splitplane', 'splitplane.io/ingress-controller', true)] }));
      expect(r.model.virtualHosts.map((v) => v.host)).to.deep.equal(['b.io']);
    });
  });
});
