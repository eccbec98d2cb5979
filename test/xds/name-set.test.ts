// NameSet: a shared base and a stream's own overlay, folded into a new shared base after a request
// whose changes reach a quarter of it.

import { expect } from 'chai';
import { NameSet } from '../../src/xds/name-set.js';

describe('xds/name-set', () => {
  const shared: Array<Set<string>> = [];
  const share = (names: Set<string>) => {
    shared.push(names);
    return names;
  };

  it('adds and drops names over a shared base without touching it', () => {
    const base = new Set(Array.from({ length: 1000 }, (_, i) => `n${i}`));
    const names = new NameSet(base, share);
    expect(names.add('extra')).to.equal(true);
    expect(names.add('n1')).to.equal(false);
    expect(names.delete('n2')).to.equal(true);
    expect(names.delete('missing')).to.equal(false);
    names.settle();
    expect(base.size, 'the base is never changed').to.equal(1000);
    expect(base.has('n2')).to.equal(true);
    expect(names.size).to.equal(1000);
    expect(names.has('extra') && !names.has('n2') && names.has('n1')).to.equal(true);
    expect([...names].length).to.equal(1000);
    expect(shared, 'two changes are not folded').to.deep.equal([]);
  });

  it('a name dropped and added again is back, with no trace in the overlay', () => {
    const names = new NameSet(new Set(['a', 'b']), share);
    names.delete('a');
    names.add('a');
    names.add('c');
    names.delete('c');
    expect([...names].sort()).to.deep.equal(['a', 'b']);
  });

  it('changes reaching a quarter of the base (64 at least) are folded into a new shared base after the request', () => {
    shared.length = 0;
    const names = new NameSet(new Set(), share);
    for (let i = 0; i < 2000; i++) names.add(`c${i}`);
    expect(shared, 'nothing is folded during a request').to.deep.equal([]);
    names.settle();
    expect(shared).to.have.length(1);
    expect(shared[0]!.size).to.equal(2000);
    for (let i = 0; i < 400; i++) names.delete(`c${i}`);
    names.settle();
    expect(shared, '400 of 2000 is under a quarter').to.have.length(1);
    for (let i = 400; i < 500; i++) names.delete(`c${i}`);
    names.settle();
    expect(shared).to.have.length(2);
    expect(shared[1]!.size).to.equal(1500);
    expect(names.size).to.equal(1500);
  });
});
