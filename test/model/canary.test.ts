// Canary Ingresses joining a main Ingress's path: shares, rules and their order, readiness.

import { expect } from 'chai';
import { buildModel, type ModelInput } from '../../src/model/build.js';
import { combineCanaryShares } from '../../src/model/resolve.js';
import type { Ingress } from '../../src/objects/kube.js';
import { endpointSlice, ingress, service } from '../support/fixtures.js';

const N = 'nginx.ingress.kubernetes.io/';
const SERVICES = ['main', 'c1', 'c2'];

function input(ingresses: Ingress[], notReady: string[] = []): ModelInput {
  return {
    ingresses,
    services: SERVICES.map((s) => service(s)),
    endpointSlices: SERVICES.filter((s) => !notReady.includes(s)).map((s, i) => endpointSlice(s, [`10.0.0.${i + 1}`], 80)),
    ingressClasses: [],
    ingressClass: 'splitplane',
  };
}
const main = ingress({ name: 'main', host: 'h.test', paths: [{ service: 'main' }] });
const canary = (name: string, svc: string, annotations: Record<string, string>) =>
  ingress({ name, host: 'h.test', annotations: { [`${N}canary`]: 'true', ...annotations }, paths: [{ service: svc }] });

describe('model: canary Ingresses', () => {
  it('combineCanaryShares: canaries take their share of the total, the main split scales into the rest', () => {
    const cases: Array<[number[], Array<number | undefined>, number[]]> = [
      [[10000], [0.2], [8000, 2000]],
      [[10000], [0.2, 0.3], [5000, 2000, 3000]],
      [[5000, 5000], [0.1], [4500, 4500, 1000]],
      [[10000], [1 / 3], [6667, 3333]],
      [[10000], [undefined], [10000, 0]],
      [[10000], [1], [0, 10000]],
    ];
    for (const [mainDeclared, shares, expected] of cases)
      expect(combineCanaryShares(mainDeclared, shares), JSON.stringify([mainDeclared, shares])).to.deep.equal(expected);
  });

  it('two canaries: versions in age order, header rules before cookie rules, "never" to the main backend', () => {
    const { model, diagnostics } = buildModel(
      input([
        main,
        canary('c1', 'c1', { [`${N}canary-weight`]: '20', [`${N}canary-by-cookie`]: 'k' }),
        canary('c2', 'c2', { [`${N}canary-weight`]: '30', [`${N}canary-by-header`]: 'x-c2' }),
      ]),
    );
    expect(diagnostics).to.deep.equal([]);
    const group = model.virtualHosts[0]!.groups[0];
    expect(group!.backends.map((v) => [v.service, v.basisPoints, v.canaryOf?.name])).to.deep.equal([
      ['main', 5000, undefined],
      ['c1', 2000, 'c1'],
      ['c2', 3000, 'c2'],
    ]);
    expect(group!.rules.map((r) => [r.reason, r.targets.map((b) => group!.backends[b.backend]!.service)])).to.deep.equal([
      ['canary-by-header x-c2=always (Ingress default/c2)', ['c2']],
      ['canary-by-header x-c2=never (Ingress default/c2)', ['main']],
      ['canary-by-cookie k=always (Ingress default/c1)', ['c1']],
      ['canary-by-cookie k=never (Ingress default/c1)', ['main']],
    ]);
  });

  it('a canary whose Service is not ready: its share moves to the others and its rules are left out', () => {
    const { model, diagnostics } = buildModel(input([main, canary('c1', 'c1', { [`${N}canary-weight`]: '20', [`${N}canary-by-header`]: 'x' })], ['c1']));
    const group = model.virtualHosts[0]!.groups[0];
    expect(group!.backends.map((v) => v.basisPoints)).to.deep.equal([10000, 0]);
    expect(group!.rules.map((r) => r.reason)).to.deep.equal(['canary-by-header x=never (Ingress default/c1)']);
    expect(diagnostics.map((d) => [d.object.name, d.field])).to.deep.equal([['c1', 'spec.rules[0].http.paths[0].backend.service.name']]);
  });

  it('a canary for a path no main Ingress serves is a warning and joins nothing', () => {
    const { model, diagnostics } = buildModel(input([canary('c1', 'c1', { [`${N}canary-weight`]: '20' })]));
    expect(model.virtualHosts).to.deep.equal([]);
    expect(diagnostics.map((d) => [d.severity, d.object.name, d.field])).to.deep.equal([['warning', 'c1', 'spec.rules[0].http.paths[0]']]);
  });

  it('canary-weight on a path whose main Ingress sets aliyun weights: an error naming both', () => {
    const weighted = ingress({ name: 'main', host: 'h.test', annotations: { 'ingress.aliyun.weight/main': '100' }, paths: [{ service: 'main' }] });
    const { diagnostics } = buildModel(input([weighted, canary('c1', 'c1', { [`${N}canary-weight`]: '20' })]));
    const error = diagnostics.find((d) => d.severity === 'error');
    expect(error?.object.name).to.equal('c1');
    expect(error?.field).to.equal(`metadata.annotations["${N}canary-weight"]`);
    expect(error?.message).to.contain('ingress.aliyun.weight/main');
  });

  it('sticky on the main Ingress applies to the path with its canaries; on a canary it is a warning', () => {
    const stickyMain = ingress({ name: 'main', host: 'h.test', annotations: { 'splitplane.io/sticky-cookie': 'v' }, paths: [{ service: 'main' }] });
    const { model, diagnostics } = buildModel(input([stickyMain, canary('c1', 'c1', { [`${N}canary-weight`]: '20', 'splitplane.io/sticky-cookie': 'w' })]));
    expect(model.virtualHosts[0]!.groups[0]!.sticky).to.deep.equal({ cookie: 'v' });
    expect(diagnostics.map((d) => [d.severity, d.object.name, d.field])).to.deep.equal([
      ['warning', 'c1', 'metadata.annotations["splitplane.io/sticky-cookie"]'],
      // Where sticky applies, it says that gRPC clients are split per RPC.
      ['info', 'main', 'metadata.annotations["splitplane.io/sticky-cookie"]'],
    ]);
  });
});
