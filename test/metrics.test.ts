import { expect } from 'chai';
import { Metrics } from '../src/metrics.js';
import { parsePrometheus, sampleValue } from './support/prometheus.js';

describe('metrics', () => {
  it('counters, gauges and histograms in the Prometheus text format (prom-client), labels escaped; value() reads them back', async () => {
    const m = new Metrics();
    const c = m.counter('x_total', 'Things.', ['type']);
    c({ type: 'CDS' });
    c({ type: 'CDS' }, 2);
    m.gauge('y', 'Level.')(5, { b: '2', a: 'q"uote' });
    const h = m.histogram('z_seconds', 'Latency.', ['type'], [0.1, 1]);
    h(0.05, { type: 'CDS' });
    h(0.5, { type: 'CDS' });
    const { samples, types } = parsePrometheus(await m.render());
    expect(types.get('x_total')).to.equal('counter');
    expect(types.get('y')).to.equal('gauge');
    expect(types.get('z_seconds')).to.equal('histogram');
    expect(sampleValue(samples, 'x_total', { type: 'CDS' })).to.equal(3);
    expect(sampleValue(samples, 'y', { a: 'q"uote', b: '2' })).to.equal(5);
    expect(sampleValue(samples, 'z_seconds_bucket', { type: 'CDS', le: '0.1' })).to.equal(1);
    expect(sampleValue(samples, 'z_seconds_bucket', { type: 'CDS', le: '+Inf' })).to.equal(2);
    expect(sampleValue(samples, 'z_seconds_count', { type: 'CDS' })).to.equal(2);
    expect(m.value('x_total', { type: 'CDS' })).to.equal(3);
    expect(m.value('x_total', { type: 'EDS' })).to.equal(0);
  });

  it('with process metrics, the process defaults are there too', async () => {
    const { types } = parsePrometheus(await new Metrics({ process: true }).render());
    expect(types.get('process_cpu_user_seconds_total')).to.equal('counter');
    expect(types.get('nodejs_heap_size_used_bytes')).to.equal('gauge');
  });
});
