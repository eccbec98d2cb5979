import { expect } from 'chai';
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
});
