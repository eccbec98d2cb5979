import { expect } from 'chai';
import { LatencyWindow, pooledP99, quantile, type ProxyHistogram } from '../../src/traffic/latency.js';
import { decodeMetricsReport, encodeMetricsReport } from '../../src/traffic/metrics-messages.js';

const BOUNDS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000];
const hist = (proxy: string, byBound: Record<number, number>): ProxyHistogram => {
  const counts = new Map(BOUNDS.map((b) => [b, byBound[b] ?? 0]));
  return { proxy, counts, total: [...counts.values()].reduce((a, b) => a + b, 0) };
};

describe('traffic/latency', () => {
  it('reads the request-time histograms of a flush and skips every other family', () => {
    const bytes = encodeMetricsReport({
      nodeId: 'envoy-1',
      latencies: [{ cluster: 'default/new-nginx/80', bounds: [10, 25, 250], counts: [5, 4, 1] }],
    });
    expect(decodeMetricsReport(bytes)).to.deep.equal({
      nodeId: 'envoy-1',
      latencies: [{ cluster: 'default/new-nginx/80', bounds: [10, 25, 250], counts: [5, 4, 1], total: 10 }],
    });
    expect(() => decodeMetricsReport(Buffer.from([0x12, 0xff, 0xff, 0x7f]))).to.throw();
  });

  it('quantiles as histogram_quantile: linear within the bucket; above the last bound, the last bound', () => {
    const h = hist('a', { 25: 98, 250: 2 });
    expect(quantile(h.counts, h.total, 0.5)).to.be.closeTo(10 + (15 * 50) / 98, 0.001);
    expect(quantile(h.counts, h.total, 0.99)).to.be.closeTo(100 + 150 * 0.5, 0.001);
    expect(quantile(new Map([[10, 1]]), 5, 0.99)).to.equal(10);
    expect(quantile(new Map(), 0, 0.99)).to.equal(null);
  });

  it('p99 over a fleet: a client inventing slow requests is left out; one inventing fast ones too', () => {
    const honest = [hist('a', { 25: 100 }), hist('b', { 25: 120 }), hist('c', { 25: 90 })];
    expect(pooledP99([...honest, hist('liar', { 1000: 1_000_000 })])).to.be.below(25);
    const slow = [hist('a', { 250: 100 }), hist('b', { 250: 120 }), hist('c', { 250: 90 })];
    expect(pooledP99([...slow, hist('liar', { 0.5: 1_000_000 })])).to.be.above(100);
  });

  it('the window sums each proxy over (from, to] and forgets past its horizon', () => {
    const w = new LatencyWindow(10_000);
    w.record('a', { cluster: 'c', bounds: [10, 100], counts: [3, 1], total: 4 }, 1000);
    w.record('a', { cluster: 'c', bounds: [10, 100], counts: [1, 1], total: 2 }, 3000);
    const [h] = w.histograms('c', 0, 5000);
    expect([...h!.counts]).to.deep.equal([
      [10, 4],
      [100, 2],
    ]);
    w.prune(12_000);
    expect(w.histograms('c', 0, 20_000)[0]!.total).to.equal(2);
  });
});
