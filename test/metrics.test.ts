import { expect } from 'chai';
import { Metrics } from '../src/metrics.js';

describe('metrics', () => {
  it('renders counters and gauges in the Prometheus text format, labels sorted and escaped', () => {
    const m = new Metrics();
    const c = m.counter('x_total', 'Things.');
    c({ type: 'CDS' });
    c({ type: 'CDS' }, 2);
    m.gauge('y', 'Level.')(5, { b: '2', a: 'q"uote' });
    expect(m.render()).to.equal(
      '# HELP x_total Things.\n# TYPE x_total counter\nx_total{type="CDS"} 3\n# HELP y Level.\n# TYPE y gauge\ny{a="q\\"uote",b="2"} 5\n',
    );
    expect(m.value('x_total', { type: 'CDS' })).to.equal(3);
    expect(m.value('x_total', { type: 'EDS' })).to.equal(0);
  });
});
