import { expect } from 'chai';
import { DerivedList, derivationOf, inNameOrder } from '../../src/resources/derived-list.js';

describe('resources/derived-list', () => {
  const a = { name: 'a' };
  const b = { name: 'b' };
  const c = { name: 'c' };
  const made: string[] = [];
  const make = (item: { name: string }) => {
    made.push(item.name);
    return { name: item.name, from: item };
  };

  it('makes only the places that hold another object, and says where they are', () => {
    made.length = 0;
    const list = new DerivedList<{ name: string }, { name: string; from: object }>();
    const first = list.map([a, b, c], make);
    expect(derivationOf(first), 'a first list is made from nothing').to.equal(undefined);
    const b2 = { name: 'b' };
    const second = list.map([a, b2, c], make);
    expect(made).to.deep.equal(['a', 'b', 'c', 'b']);
    expect(second[0]).to.equal(first[0]);
    expect(second[1]!.from).to.equal(b2);
    expect(derivationOf(second)).to.deep.equal({ base: first, at: [1] });
    expect(list.map([a, b2, c], make), 'nothing changed: the last output itself').to.equal(second);
    const third = list.map([a, b2, { name: 'c' }], make);
    expect(derivationOf(third)).to.deep.equal({ base: second, at: [2] });
    // Only one link back is kept: a chain of every build's lists would keep them all alive.
    expect(derivationOf(second)).to.equal(undefined);
  });

  it('a list of another length is made whole, without a derivation', () => {
    const list = new DerivedList<{ name: string }, { name: string; from: object }>();
    list.map([a, b], make);
    const longer = list.map([a, b, c], make);
    expect(derivationOf(longer)).to.equal(undefined);
  });

  const table: Array<[string, Array<{ name: string }>, string[]]> = [
    ['in order', [a, b, c], ['a', 'b', 'c']],
    ['out of order: a sorted copy', [c, a, b], ['a', 'b', 'c']],
    ['empty', [], []],
  ];
  for (const [what, items, names] of table) {
    it(`inNameOrder: ${what}`, () => {
      const out = inNameOrder(items);
      expect(out.map((i) => i.name)).to.deep.equal(names);
      if (what.startsWith('out'))
        expect(
          items.map((i) => i.name),
          'the list itself is left as it is',
        ).to.deep.equal(['c', 'a', 'b']);
    });
  }

  it('inNameOrder checks only the changed places of a list derived from one in order, and sorts when a name moved', () => {
    const list = new DerivedList<{ name: string }, { name: string; from: object }>();
    inNameOrder(list.map([a, b, c], make));
    const renamed = list.map([a, { name: 'z' }, c], make);
    expect(inNameOrder(renamed).map((i) => i.name)).to.deep.equal(['a', 'c', 'z']);
    const same = list.map([a, { name: 'z' }, { name: 'zz' }], make);
    expect(inNameOrder(same).map((i) => i.name)).to.deep.equal(['a', 'z', 'zz']);
  });
});
