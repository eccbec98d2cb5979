import { expect } from 'chai';
import type { Service } from '../../src/model/kube-types.js';
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
    expect(store.list('Service').map((s) => s.metadata.name).sort()).to.deep.equal(['a', 'b']);
    expect(store.get('Service', 'other', 'b')?.metadata.name).to.equal('b');
    expect(store.get('Service', 'default', 'b')).to.equal(undefined);
  });

  it('an object defined in two files: the first file by name wins, with a warning', () => {
    const store = new ObjectStore();
    store.replaceSource('file:b.yaml', [service('a', [{ port: 2 }])]);
    store.replaceSource('file:a.yaml', [service('a', [{ port: 1 }])]);
    expect(store.list<Service>('Service')[0].spec.ports![0].port).to.equal(1);
    const [warning] = store.conflicts();
    expect(warning.severity).to.equal('warning');
    expect(warning.object).to.deep.equal({ kind: 'Service', namespace: 'default', name: 'a' });
    expect(warning.message).to.contain('file:a.yaml').and.contain('file:b.yaml');
  });
});
