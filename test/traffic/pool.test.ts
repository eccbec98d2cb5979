// Judging a version from reports any of which may lie: no single client decides (docs/safety.md).

import { expect } from 'chai';
import fc from 'fast-check';
import { pool, trimCount, type ProxyCounts } from '../../src/traffic/pool.js';

const p = (proxy: string, requests: number, failed = 0, inFlight = 0): ProxyCounts => ({ proxy, requests, failed, inFlight });

describe('traffic/pool', () => {
  it('one proxy: its figures as they are', () => {
    expect(pool([p('a', 200, 20, 3)])).to.deep.equal({
      reported: 200,
      considered: 200,
      counted: 200,
      failed: 20,
      successRate: 0.9,
      inFlight: 3,
      proxies: 1,
      leftOut: 0,
      capped: 0,
    });
  });

  it('no requests: no rate, and in-flight still summed', () => {
    expect(pool([p('a', 0, 0, 2), p('b', 0, 0, 1)])).to.include({ successRate: null, counted: 0, inFlight: 3, proxies: 0 });
  });

  it('an honest fleet is pooled: failures over requests, the worst and best tenth left out', () => {
    const fleet = Array.from({ length: 20 }, (_, i) => p(`envoy-${i}`, 100, i % 10 === 0 ? 12 : 10));
    const r = pool(fleet);
    expect(trimCount(20)).to.equal(2);
    expect(r.leftOut).to.equal(4);
    expect(r.counted).to.equal(1600);
    expect(r.successRate).to.be.closeTo(0.9, 0.001);
  });

  it('a client inventing failures cannot abort a healthy rollout: with three or more reporting, it is left out', () => {
    const honest = [p('envoy-1', 100), p('envoy-2', 120), p('envoy-3', 90)];
    const liar = p('liar', 1_000_000, 1_000_000);
    const r = pool([...honest, liar]);
    expect(r.successRate).to.equal(1);
    expect(r.capped).to.equal(1);
    // min-requests sees the liar at most at twice the median proxy.
    expect(r.considered).to.be.at.most(100 + 120 + 90 + 2 * 100);
  });

  it('a client inventing successes cannot promote a failing version: it is left out too', () => {
    const honest = [p('envoy-1', 100, 10), p('envoy-2', 100, 12), p('envoy-3', 100, 9)];
    const r = pool([...honest, p('liar', 1_000_000, 0)]);
    expect(r.successRate).to.be.below(0.95);
  });

  it('two clients: a liar is capped at twice the other, so it cannot drown a failing honest proxy (mTLS keeps it out)', () => {
    const r = pool([p('envoy-1', 100, 10), p('liar', 1_000_000, 0)]);
    expect(r.capped).to.equal(1);
    expect(r.counted).to.equal(300);
    expect(r.successRate).to.be.below(0.99);
  });

  it('property: one liar among three or more honest proxies moves the rate no further than the honest ones spread', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ requests: fc.integer({ min: 10, max: 1000 }), rate: fc.double({ min: 0.8, max: 1, noNaN: true }) }), {
          minLength: 3,
          maxLength: 30,
        }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.boolean(),
        (honest, size, failing) => {
          const proxies = honest.map((h, i) => p(`envoy-${i}`, h.requests, Math.round(h.requests * (1 - h.rate))));
          const rates = proxies.map((x) => 1 - x.failed / x.requests);
          const r = pool([...proxies, p('liar', size, failing ? size : 0)]);
          expect(r.successRate).to.be.at.least(Math.min(...rates) - 1e-9);
          expect(r.successRate).to.be.at.most(Math.max(...rates) + 1e-9);
        },
      ),
    );
  });
});
