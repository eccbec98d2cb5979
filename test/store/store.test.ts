import { expect } from 'chai';
import fc from 'fast-check';
import type { Service } from '../../src/objects/kube.js';
import { ObjectStore } from '../../src/store/store.js';
import { ingress, service } from '../support/fixtures.js';

describe('store/store', () => {
  it('a mutation reports whether anything visible changed', () => {
    const store = new ObjectStore();
    expect(store.replaceSource('file:a.yaml', [service('a')])).to.equal(true);
    expect(store.replaceSource('file:a.yaml', [service('a')]), 'same objects again').to.equal(false);
    expect(store.replaceSource('file:a.yaml', [service('a', [{ port: 81 }])])).to.equal(true);
    expect(store.deleteSource('file:a.yaml')).to.equal(true);
    expect(store.deleteSource('file:a.yaml')).to.equal(false);
  });

  it('ignores kinds the model does not read, and changes of resourceVersion alone', () => {
    const store = new ObjectStore();
    expect(store.replaceSource('s', [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }])).to.equal(false);
    const a = service('a');
    expect(store.upsert('kube', a)).to.equal(true);
    expect(store.upsert('kube', { ...a, metadata: { ...a.metadata, resourceVersion: '42' } })).to.equal(false);
    expect(store.remove('kube', a)).to.equal(true);
    expect(store.list('Service')).to.deep.equal([]);
  });

  it('lists and gets by kind, namespace and name', () => {
    const store = new ObjectStore();
    store.replaceSource('s', [service('a'), service('b', undefined, 'other'), ingress()]);
    expect(
      store
        .list('Service')
        .map((s) => s.metadata.name)
        .sort(),
    ).to.deep.equal(['a', 'b']);
    expect(store.get('Service', 'other', 'b')?.metadata.name).to.equal('b');
    expect(store.get('Service', 'default', 'b')).to.equal(undefined);
  });

  it('an object defined in two files: an error on both, and the one read first stays, whatever the file names', () => {
    const store = new ObjectStore();
    store.replaceSource('file:b.yaml', [service('a', [{ port: 2 }])], ['documents[0]']);
    store.replaceSource('file:a.yaml', [service('a', [{ port: 1 }])], ['documents[3]']);
    expect(store.list<Service>('Service')[0]!.spec.ports![0]!.port, 'the live one stays').to.equal(2);
    const errors = store.conflicts();
    expect(errors.map((d) => [d.severity, d.object.kind, d.object.name, d.field])).to.deep.equal([
      ['error', 'File', 'a.yaml', 'documents[3].metadata.name'],
      ['error', 'File', 'b.yaml', 'documents[0].metadata.name'],
    ]);
    expect(errors[0]!.message).to.contain('b.yaml (documents[0])').and.contain('stays in force');
    // Editing the winner keeps it the winner; removing it lets the other take over.
    store.replaceSource('file:b.yaml', [service('a', [{ port: 3 }])], ['documents[0]']);
    expect(store.list<Service>('Service')[0]!.spec.ports![0]!.port).to.equal(3);
    store.deleteSource('file:b.yaml');
    expect(store.list<Service>('Service')[0]!.spec.ports![0]!.port).to.equal(1);
    expect(store.conflicts()).to.deep.equal([]);
  });

  it('a change costs the keys it touched, and the list of an untouched kind is the same array', () => {
    const store = new ObjectStore();
    store.replaceSource('s', [service('a'), ingress()]);
    const ingresses = store.list('Ingress');
    store.upsert('kube', service('b'));
    expect(store.list('Ingress'), 'no Ingress changed').to.equal(ingresses);
    expect(store.list('Service').map((s) => s.metadata.name)).to.deep.equal(['a', 'b']);
  });

  // The view is kept up to date key by key; what it shows must be what a store computing it from every
  // definition would show: per key, the definition read first (ties by source name), and one error pair
  // per definition not in force.
  it('property: after any sequence of changes, the view is the one computed from every definition', () => {
    const op = fc.oneof(
      fc.record({
        op: fc.constant('replace' as const),
        source: fc.constantFrom('f1', 'f2', 'f3'),
        names: fc.subarray(['a', 'b', 'c', 'd']),
        port: fc.integer({ min: 1, max: 3 }),
      }),
      fc.record({ op: fc.constant('upsert' as const), name: fc.constantFrom('a', 'b', 'c'), port: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ op: fc.constant('remove' as const), name: fc.constantFrom('a', 'b', 'c') }),
      fc.record({ op: fc.constant('delete' as const), source: fc.constantFrom('f1', 'f2', 'f3', 'kube') }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), fc.array(fc.boolean(), { maxLength: 30 }), (ops, looks) => {
        const store = new ObjectStore();
        // The reference: per source, key → [port, order of first definition by that source].
        const defined = new Map<string, Map<string, [number, number]>>();
        let order = 0;
        ops.forEach((o, i) => {
          if (o.op === 'replace') {
            store.replaceSource(
              o.source,
              o.names.map((n) => service(n, [{ port: o.port }])),
            );
            const before = defined.get(o.source);
            const next = new Map(o.names.map((n): [string, [number, number]] => [n, [o.port, before?.get(n)?.[1] ?? order++]]));
            if (next.size === 0) defined.delete(o.source);
            else defined.set(o.source, next);
          } else if (o.op === 'upsert') {
            store.upsert('kube', service(o.name, [{ port: o.port }]));
            const kube = defined.get('kube') ?? new Map<string, [number, number]>();
            kube.set(o.name, [o.port, kube.get(o.name)?.[1] ?? order++]);
            defined.set('kube', kube);
          } else if (o.op === 'remove') {
            store.remove('kube', service(o.name));
            defined.get('kube')?.delete(o.name);
            if (defined.get('kube')?.size === 0) defined.delete('kube');
          } else {
            store.deleteSource(o.source);
            defined.delete(o.source);
          }
          // Looking between changes must not change what is seen at the end.
          if (looks[i]) store.list('Service');
        });
        const expected = new Map<string, { port: number; at: number; source: string; others: number }>();
        for (const [source, keys] of defined) {
          for (const [name, [port, at]] of keys) {
            const now = expected.get(name);
            if (!now) expected.set(name, { port, at, source, others: 0 });
            else if (at < now.at || (at === now.at && source < now.source)) expected.set(name, { port, at, source, others: now.others + 1 });
            else now.others++;
          }
        }
        const seen = store
          .list<Service>('Service')
          .map((s) => `${s.metadata.name}:${s.spec.ports![0]!.port}`)
          .sort();
        expect(seen).to.deep.equal([...expected].map(([name, e]) => `${name}:${e.port}`).sort());
        const pairs = [...expected.values()].reduce((n, e) => n + e.others, 0);
        expect(store.conflicts()).to.have.length(2 * pairs);
      }),
      { numRuns: 300 },
    );
  });
});
