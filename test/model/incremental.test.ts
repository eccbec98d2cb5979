// Building only the touched hosts must give exactly what a whole build gives: a property over random
// worlds of Ingresses (shared hosts and paths, several dialects, canaries, refused weights, other
// classes, default backends, TLS) and random changes to some of them.

import { expect } from 'chai';
import fc from 'fast-check';
import { buildModel, type ModelInput } from '../../src/model/build.js';
import { buildModelIncremental, rememberBuild } from '../../src/model/incremental.js';
import type { Ingress } from '../../src/objects/kube.js';
import { endpointSlice, ingress, service } from '../support/fixtures.js';

const SERVICES = ['a', 'b', 'c', 'd'];
const CLUSTER = {
  services: SERVICES.map((s) => service(s)),
  // d has no ready endpoint: a version that cannot serve.
  endpointSlices: SERVICES.map((s) => endpointSlice(s, s === 'd' ? [{ address: '10.0.0.4', ready: false }] : [`10.0.0.${SERVICES.indexOf(s) + 1}`], 80)),
};

const host = fc.constantFrom('a.io', 'b.io', 'c.io', '*.w.io');
const path = fc.record({ path: fc.constantFrom('/', '/x', '/x/y'), pathType: fc.constantFrom('Prefix', 'Exact'), service: fc.constantFrom(...SERVICES) });
/** Sometimes `arb`, mostly nothing: one time in `oneIn`. */
const rarely = <T>(arb: fc.Arbitrary<T>, oneIn: number) => fc.oneof({ arbitrary: fc.constant(undefined), weight: oneIn - 1 }, { arbitrary: arb, weight: 1 });

const spec = fc.record({
  // A rule without host one time in ten (fc.option's freq: nothing one time in `freq`).
  rules: fc.array(fc.record({ host: fc.option(host, { freq: 10, nil: undefined }), paths: fc.array(path, { minLength: 1, maxLength: 3 }) }), {
    minLength: 1,
    maxLength: 2,
  }),
  weight: fc.option(fc.tuple(fc.constantFrom(...SERVICES), fc.constantFrom('0', '30', '50', '100', 'abc', '150')), { freq: 3, nil: undefined }),
  canary: rarely(fc.constantFrom('20', '50', '90'), 4),
  otherClass: fc.boolean().map((b) => b && Math.random() < 0.1),
  defaultBackend: rarely(fc.constantFrom(...SERVICES), 12),
  tls: rarely(host, 12),
  age: fc.integer({ min: 0, max: 3 }),
});

type Spec = typeof spec extends fc.Arbitrary<infer T> ? T : never;

function make(name: string, s: Spec): Ingress {
  const annotations: Record<string, string> = {};
  if (s.weight) annotations[`ingress.aliyun.weight/${s.weight[0]}`] = s.weight[1];
  if (s.canary) {
    annotations['nginx.ingress.kubernetes.io/canary'] = 'true';
    annotations['nginx.ingress.kubernetes.io/canary-weight'] = s.canary;
  }
  const object = ingress({
    name,
    annotations,
    rules: s.rules.map((r) => ({ host: r.host, paths: r.paths })),
    creationTimestamp: `2026-01-0${s.age + 1}T00:00:00Z`,
    ...(s.defaultBackend ? { defaultBackend: { service: s.defaultBackend } } : {}),
    ...(s.otherClass ? { ingressClassName: 'other' } : {}),
  });
  if (s.tls) (object.spec as Record<string, unknown>).tls = [{ hosts: [s.tls], secretName: 'missing' }];
  return object;
}

const world = fc.dictionary(fc.constantFrom('i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7'), spec, { minKeys: 1, maxKeys: 8 });
const change = fc.array(fc.tuple(fc.constantFrom('i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7', 'i8'), fc.option(spec, { freq: 4, nil: undefined })), {
  minLength: 1,
  maxLength: 3,
});

function input(ingresses: Ingress[]): ModelInput {
  return { ingresses, ...CLUSTER, ingressClasses: [], ingressClass: 'splitplane' };
}

// FUZZ_RUNS and FUZZ_SEED explore further, as for the pipeline fuzzer.
const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);

describe('model/incremental', () => {
  it(`building only the touched hosts gives what a whole build gives (${RUNS} random worlds and changes)`, () => {
    let partial = 0;
    let runs = 0;
    fc.assert(
      fc.property(world, change, (specs, changes) => {
        runs++;
        const objects = new Map(Object.entries(specs).map(([name, s]) => [name, make(name, s)]));
        const first = input([...objects.values()]);
        const before = buildModel(first);
        // Each change edits (a new object), adds or removes one Ingress; the others stay the same objects.
        for (const [name, s] of changes) {
          if (s) objects.set(name, make(name, s));
          else objects.delete(name);
        }
        const second = input([...objects.values()]);
        const whole = buildModel(second, before.accepted);
        const { result, incremental } = buildModelIncremental(second, before.accepted, rememberBuild(first, before));
        if (incremental) partial++;
        expect(JSON.stringify(result.model)).to.equal(JSON.stringify(whole.model));
        expect(result.diagnostics).to.deep.equal(whole.diagnostics);
        const entries = (m: ReadonlyMap<string, unknown>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
        expect(entries(result.accepted)).to.deep.equal(entries(whole.accepted));
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // The property says nothing if the partial path is never taken.
    expect(partial, `partial builds among ${runs} runs`).to.be.greaterThan(runs / 5);
    if (process.env.FUZZ_RUNS) process.stdout.write(`      partial builds: ${partial} of ${runs}\n`);
  });

  it(`a chain of changes, each built on the last with the host index carried along, gives what whole builds give (${Math.ceil(RUNS / 3)} random worlds)`, () => {
    let partial = 0;
    let steps = 0;
    fc.assert(
      fc.property(world, fc.array(change, { minLength: 2, maxLength: 5 }), (specs, chain) => {
        const objects = new Map(Object.entries(specs).map(([name, s]) => [name, make(name, s)]));
        const first = input([...objects.values()]);
        let whole = buildModel(first);
        let built = whole;
        let memo = rememberBuild(first, built);
        for (const changes of chain) {
          steps++;
          for (const [name, s] of changes) {
            if (s) objects.set(name, make(name, s));
            else objects.delete(name);
          }
          const next = input([...objects.values()]);
          whole = buildModel(next, whole.accepted);
          const step = buildModelIncremental(next, built.accepted, memo);
          if (step.incremental) partial++;
          expect(JSON.stringify(step.result.model)).to.equal(JSON.stringify(whole.model));
          expect(step.result.diagnostics).to.deep.equal(whole.diagnostics);
          const entries = (m: ReadonlyMap<string, unknown>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
          expect(entries(step.result.accepted)).to.deep.equal(entries(whole.accepted));
          built = step.result;
          memo = rememberBuild(next, built, step.index);
        }
      }),
      { numRuns: Math.ceil(RUNS / 3), seed: SEED + 1 },
    );
    expect(partial, `partial builds among ${steps} steps`).to.be.greaterThan(steps / 5);
  });

  it('a change to one plain Ingress builds its hosts only; one with a default backend builds everything', () => {
    const a = ingress({ name: 'a', host: 'a.io', paths: [{ service: 'a' }] });
    const b = ingress({ name: 'b', host: 'b.io', paths: [{ service: 'b' }] });
    const first = input([a, b]);
    const before = buildModel(first);
    const memo = rememberBuild(first, before);
    const a2 = ingress({ name: 'a', host: 'a.io', paths: [{ service: 'c' }] });
    expect(buildModelIncremental(input([a2, b]), before.accepted, memo).incremental).to.equal(true);
    const a3 = ingress({ name: 'a', host: 'a.io', paths: [{ service: 'c' }], defaultBackend: { service: 'a' } });
    expect(buildModelIncremental(input([a3, b]), before.accepted, memo).incremental).to.equal(false);
    // A Service changed: everything.
    expect(buildModelIncremental({ ...input([a2, b]), services: [...CLUSTER.services.slice(1), service('a')] }, before.accepted, memo).incremental).to.equal(
      false,
    );
  });
});
