import { expect } from 'chai';
import { failure, ok, reason, type Result } from '../../src/objects/result.js';

describe('objects/result', () => {
  it('a value or the problems that stop it, told apart by ok', () => {
    const parse = (text: string): Result<number> =>
      /^\d+$/.test(text) ? ok(Number(text)) : failure(`${JSON.stringify(text)} is not a number`, 'write digits only');
    expect(parse('42')).to.deep.equal({ ok: true, value: 42 });
    const bad = parse('4x');
    expect(bad.ok).to.equal(false);
    expect(bad.ok ? '' : reason(bad)).to.equal('"4x" is not a number; write digits only');
  });
});
