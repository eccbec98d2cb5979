import { expect } from 'chai';
import { applyReadiness, normaliseRelative, parsePercent, shareEqually } from '../../src/model/weights.js';

describe('model/weights', () => {
  describe('normaliseRelative', () => {
    const cases: Array<[string, number[], number[]]> = [
      ['equal weights split evenly', [1, 1], [5000, 5000]],
      ['thirds give the leftover basis point to the first', [1, 1, 1], [3334, 3333, 3333]],
      ['20/60/100 as the ACK dialect writes them', [20, 60, 100], [1111, 3333, 5556]],
      ['a zero stays zero', [0, 3], [0, 10000]],
      ['all zero stays all zero', [0, 0], [0, 0]],
      ['already basis points are kept', [2500, 7500], [2500, 7500]],
    ];
    for (const [title, input, expected] of cases) {
      it(title, () => {
        const out = normaliseRelative(input);
        expect(out).to.deep.equal(expected);
        if (input.some((w) => w > 0)) expect(out.reduce((a, b) => a + b, 0)).to.equal(10000);
      });
    }
  });

  it('shareEqually gives the remainder to the first share', () => {
    expect(shareEqually(10000, 3)).to.deep.equal([3334, 3333, 3333]);
    expect(shareEqually(5000, 2)).to.deep.equal([2500, 2500]);
    expect(shareEqually(0, 2)).to.deep.equal([0, 0]);
    expect(shareEqually(100, 0)).to.deep.equal([]);
  });

  describe('parsePercent', () => {
    const good: Array<[string, number]> = [
      ['50', 5000],
      ['100', 10000],
      ['0', 0],
      ['12.5', 1250],
      ['12.34', 1234],
      ['0.01', 1],
      [' 50 ', 5000],
      ['100.00', 10000],
    ];
    for (const [text, bp] of good)
      it(`accepts ${JSON.stringify(text)} as ${bp} basis points`, () => expect(parsePercent(text)).to.deep.equal({ ok: true, value: bp }));
    const bad = ['abc', '150', '100.01', '-5', '', '50%', '1.234', '1e2', '0x10', '.5', '5.'];
    for (const text of bad) it(`rejects ${JSON.stringify(text)}`, () => expect(parsePercent(text)).to.have.property('ok', false));
  });

  describe('applyReadiness', () => {
    it('keeps weights when every version is ready', () => {
      expect(applyReadiness([5000, 5000], [true, true])).to.deep.equal({ basisPoints: [5000, 5000], outcome: 'all-ready' });
    });
    it('moves a share that is not ready to the ready versions in proportion', () => {
      expect(applyReadiness([2000, 3000, 5000], [true, true, false])).to.deep.equal({ basisPoints: [4000, 6000, 0], outcome: 'redistributed' });
    });
    it('keeps declared weights when nothing is ready', () => {
      expect(applyReadiness([5000, 5000], [false, false])).to.deep.equal({ basisPoints: [5000, 5000], outcome: 'none-ready' });
    });
    it('shares equally among ready versions that had no weight', () => {
      expect(applyReadiness([0, 10000], [true, false])).to.deep.equal({ basisPoints: [10000, 0], outcome: 'ready-had-no-weight' });
    });
  });
});
