import { expect } from 'chai';
import { createLogger } from '../src/log.js';

describe('log', () => {
  it('writes one JSON object per line with level, message and fields, below the level dropped', () => {
    const lines: string[] = [];
    const log = createLogger('info', { component: 'x' }, (l) => lines.push(l));
    log.debug('hidden');
    log.warn('careful', { object: 'Ingress default/echo' });
    log.child({ stream: 3 }).error('bad');
    expect(lines).to.have.length(2);
    const first = JSON.parse(lines[0]!);
    expect(first).to.include({ level: 'warn', msg: 'careful', component: 'x', object: 'Ingress default/echo' });
    expect(Date.parse(first.time)).to.be.a('number').and.not.NaN;
    expect(JSON.parse(lines[1]!)).to.include({ level: 'error', msg: 'bad', component: 'x', stream: 3 });
  });
});
