import { expect } from 'chai';
import fc from 'fast-check';
import { LayeredMap } from '../../src/model/layered-map.js';

describe('model/layered-map', () => {
  const sorted = (m: ReadonlyMap<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  it('reads through to the map below, and shows its own changes over it', () => {
    const below = new Map([
      ['a', 1],
      ['b', 2],
    ]);
    const layer = new LayeredMap(below);
    layer.set('b', 20).set('c', 3);
    layer.delete('a');
    expect(sorted(layer)).to.deep.equal([
      ['b', 20],
      ['c', 3],
    ]);
    expect([layer.size, layer.get('a'), layer.has('a'), layer.get('b')]).to.deep.equal([2, undefined, false, 20]);
    expect(sorted(below), 'the map below is not touched').to.deep.equal([
      ['a', 1],
      ['b', 2],
    ]);
  });

  // Over an empty map the layers are soon folded into a copy; over a large one (as the accepted forms
  // of a large cluster) they are put together in one layer and the map at the bottom is left as it is.
  for (const bottom of [0, 400]) {
    it(`property: any stack of layers over ${bottom} entries, each changed at random, reads as a plain map changed the same way`, () => {
      const op = fc.tuple(fc.constantFrom('set', 'delete', 'clear'), fc.constantFrom('a', 'b', 'c', 'd', 'e', 'k1', 'k2'), fc.integer());
      const start = new Map(Array.from({ length: bottom }, (_, i) => [`k${i}`, i] as const));
      fc.assert(
        fc.property(fc.array(fc.array(op, { maxLength: 6 }), { minLength: 1, maxLength: 30 }), (builds) => {
          let layered: Map<string, number> = new LayeredMap(start);
          let plain = new Map<string, number>(start);
          for (const changes of builds) {
            layered = new LayeredMap(layered);
            plain = new Map(plain);
            for (const [what, key, value] of changes) {
              if (what === 'set') {
                layered.set(key, value);
                plain.set(key, value);
              } else if (what === 'delete') {
                expect(layered.delete(key)).to.equal(plain.delete(key));
              } else if (value % 7 === 0) {
                layered.clear();
                plain.clear();
              }
            }
            expect(sorted(layered)).to.deep.equal(sorted(plain));
            expect(layered.size).to.equal(plain.size);
            for (const key of ['a', 'b', 'c', 'd', 'e']) expect([layered.has(key), layered.get(key)]).to.deep.equal([plain.has(key), plain.get(key)]);
            expect(sorted(new Map(layered.entries()))).to.deep.equal(sorted(plain));
            expect([...layered.keys()].sort()).to.deep.equal([...plain.keys()].sort());
          }
          expect((layered as LayeredMap<string, number>).depth).to.be.at.most(8);
        }),
        { numRuns: bottom > 0 ? 60 : 500 },
      );
    }).timeout(60_000);
  }
});
