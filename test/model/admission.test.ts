import { expect } from 'chai';
import { admitAll } from '../../src/model/admission.js';
import type { Diagnostic } from '../../src/objects/diagnostics.js';
import type { KubeObject } from '../../src/objects/kube.js';
import { service } from '../support/fixtures.js';

describe('model/admission', () => {
  const admit = (objects: readonly KubeObject[], rejected: WeakMap<KubeObject, { field: string; message: string }>) => {
    const accepted = new Map<string, KubeObject>();
    const diagnostics: Diagnostic[] = [];
    const out = admitAll(objects, new Map(), rejected, accepted, diagnostics);
    return { out, accepted, diagnostics };
  };

  it('the same list admitted again gives the same objects and accepted forms (it is not validated again)', () => {
    const list = [service('a'), service('b')];
    const rejected = new WeakMap<KubeObject, { field: string; message: string }>();
    const first = admit(list, rejected);
    const again = admit(list, rejected);
    expect(again.out).to.equal(first.out);
    expect([...again.accepted]).to.deep.equal([...first.accepted]);
  });

  it('an object refused by a client after its list was admitted is refused on the next admission of that list', () => {
    const list = [service('a'), service('b')];
    const rejected = new WeakMap<KubeObject, { field: string; message: string }>();
    admit(list, rejected);
    rejected.set(list[1]!, { field: 'spec', message: 'refused by a proxy' });
    const again = admit(list, rejected);
    expect(again.out.map((s) => s.metadata.name)).to.deep.equal(['a']);
    expect(again.diagnostics.map((d) => d.message).join('\n')).to.contain('refused by a proxy');
  });

  it('a list with something to say about an object is admitted afresh every time', () => {
    const bad = { ...service('c'), spec: { ports: 'eighty' } } as unknown as KubeObject;
    const list = [service('a'), bad];
    const rejected = new WeakMap<KubeObject, { field: string; message: string }>();
    expect(admit(list, rejected).diagnostics).to.not.be.empty;
    expect(admit(list, rejected).diagnostics, 'said again').to.not.be.empty;
  });
});
