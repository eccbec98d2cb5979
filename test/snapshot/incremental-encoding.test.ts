// A long-lived rebuild loop brings its last snapshot up to date place by place (resources/derived-list.ts,
// snapshot/encoder.ts, snapshot/composed-route.ts); a fresh process encodes everything. Both must serve
// the very same thing: a property over random worlds of a few hundred hosts (several version chunks)
// and random sequences of changes to weights, paths, hosts and endpoints.

import { expect } from 'chai';
import fc from 'fast-check';
import { Controller } from '../../src/controller.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { buildModel } from '../../src/model/build.js';
import { translate, type TranslateOptions } from '../../src/resources/translate.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE, type TypeUrl } from '../../src/proto/type-urls.js';
import { SnapshotCache } from '../../src/snapshot/cache.js';
import { Snapshot, type RoutingView } from '../../src/snapshot/snapshot.js';
import { patchOf } from '../../src/snapshot/encoder.js';
import { difference } from '../../src/xds/delta.js';
import { ObjectStore } from '../../src/store/store.js';
import type { EndpointSlice, Ingress, Service } from '../../src/objects/kube.js';
import { endpointSlice, ingress, service } from '../support/fixtures.js';

const HOSTS = 150;
const SERVICES = 12;
const OPTIONS: TranslateOptions = { http: { address: '0.0.0.0', port: 8080 } };

function hostIngress(k: number, weight: number, paths: number): Ingress {
  const s = k % SERVICES;
  return ingress({
    name: `i${k}`,
    host: `h${String(k).padStart(3, '0')}.io`,
    annotations: { [`ingress.aliyun.weight/s${s}-new`]: String(weight) },
    paths: Array.from({ length: paths }, (_, p) => [
      { path: `/p${p}`, service: `s${s}-old` },
      { path: `/p${p}`, service: `s${s}-new` },
    ]).flat(),
  });
}

function backends(ready: readonly number[]): Array<Service | EndpointSlice> {
  const out: Array<Service | EndpointSlice> = [];
  for (let s = 0; s < SERVICES; s++) {
    for (const v of ['old', 'new']) {
      out.push(service(`s${s}-${v}`));
      out.push(
        endpointSlice(
          `s${s}-${v}`,
          Array.from({ length: 1 + ready[s]! }, (_, i) => `10.${s}.${v === 'old' ? 0 : 1}.${i + 1}`),
          80,
        ),
      );
    }
  }
  return out;
}

type Change = ['weight', number, number] | ['paths', number, number] | ['remove', number] | ['add', number] | ['endpoints', number, number];
const change: fc.Arbitrary<Change> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constant('weight' as const), fc.nat(HOSTS - 1), fc.integer({ min: 0, max: 100 })) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('paths' as const), fc.nat(HOSTS - 1), fc.integer({ min: 1, max: 3 })) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('remove' as const), fc.nat(HOSTS - 1)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('add' as const), fc.nat(HOSTS - 1)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('endpoints' as const), fc.nat(SERVICES - 1), fc.nat(3)) },
);

const VIEWS: Array<[TypeUrl, RoutingView]> = [
  [LISTENER_TYPE, 'whole'],
  [ROUTE_TYPE, 'whole'],
  [ROUTE_TYPE, 'per-host'],
  [VIRTUAL_HOST_TYPE, 'whole'],
  [CLUSTER_TYPE, 'whole'],
  [ENDPOINT_TYPE, 'whole'],
];

/** Everything a client can be served of one type, as plain values. */
function served(snapshot: Snapshot, typeUrl: TypeUrl, view: RoutingView) {
  const type = snapshot.type(typeUrl, view);
  return {
    version: type.version,
    resources: [...type.resources.values()].map((r) => ({
      name: r.name,
      version: r.version,
      any: Buffer.from(r.any).toString('base64'),
      references: [...r.references].sort(),
    })),
  };
}

describe('snapshot: a rebuild loop brought up to date place by place', () => {
  it('serves exactly what a fresh encoding of the same objects serves, through any sequence of changes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(change, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 }), (steps) => {
        const store = new ObjectStore();
        const cache = new SnapshotCache();
        const controller = new Controller(store, cache, { ingressClass: 'splitplane', translate: OPTIONS }, silentLogger, new Metrics());
        const ingresses = new Map<number, Ingress>();
        for (let k = 0; k < HOSTS; k += 2) ingresses.set(k, hostIngress(k, 50, 1));
        const ready = Array.from({ length: SERVICES }, () => 1);
        store.replaceSource('backends', backends(ready));
        for (const object of ingresses.values()) store.upsert('ingresses', object);
        controller.rebuild();
        let before = cache.current()!;
        for (const step of steps) {
          for (const c of step) {
            if (c[0] === 'weight' || c[0] === 'paths') {
              const object = hostIngress(c[1], c[0] === 'weight' ? c[2] : 50, c[0] === 'paths' ? c[2] : 1);
              ingresses.set(c[1], object);
              store.upsert('ingresses', object);
            } else if (c[0] === 'add') {
              const object = hostIngress(c[1], 30, 1);
              ingresses.set(c[1], object);
              store.upsert('ingresses', object);
            } else if (c[0] === 'remove') {
              const object = ingresses.get(c[1]);
              if (object) store.remove('ingresses', object);
              ingresses.delete(c[1]);
            } else {
              ready[c[1]] = c[2];
              store.replaceSource('backends', backends(ready));
            }
          }
          controller.rebuild();
          const now = cache.current()!;
          const input = {
            ingresses: store.list<Ingress>('Ingress'),
            services: store.list<Service>('Service'),
            endpointSlices: store.list<EndpointSlice>('EndpointSlice'),
            ingressClasses: [],
            ingressClass: 'splitplane',
          };
          const fresh = Snapshot.fromResources(translate(buildModel(input).model, OPTIONS));
          for (const [typeUrl, view] of VIEWS) expect(served(now, typeUrl, view), `${typeUrl} (${view})`).to.deep.equal(served(fresh, typeUrl, view));
          expect(now.problems()).to.deep.equal(fresh.problems());
          // A Delta stream holding the last snapshot's hosts is sent what differs, and nothing else.
          const held = before.type(VIRTUAL_HOST_TYPE).resources;
          const desired = now.type(VIRTUAL_HOST_TYPE).resources;
          const { added, removed } = difference(held, undefined, desired);
          const expected = [...desired.values()].filter((r) => held.get(r.name)?.version !== r.version).map((r) => r.name);
          expect(added.map((r) => r.name).sort()).to.deep.equal(expected.sort());
          expect([...removed].sort()).to.deep.equal([...held.keys()].filter((n) => !desired.has(n)).sort());
          // Only one link back is kept: no chain of every build's types.
          const last = patchOf(desired);
          if (last) expect(patchOf(last.base.resources), 'the patch before the last is forgotten').to.equal(undefined);
          before = now;
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 40), seed: Number(process.env.FUZZ_SEED ?? 20261202) },
    );
  }).timeout(120_000);
});
