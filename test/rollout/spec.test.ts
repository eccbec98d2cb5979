import { expect } from 'chai';
import { parseDuration, parseRolloutSpec, specText } from '../../src/rollout/spec.js';

describe('rollout/spec', () => {
  it("reads the issue's example: version, steps, interval, checks", () => {
    const r = parseRolloutSpec('new-nginx; steps=5,25,50,100; interval=30s; min-success=99%; max-p99=500ms; min-requests=100');
    expect(r.ok && r.value).to.deep.include({
      version: 'new-nginx',
      steps: [500, 2500, 5000, 10000],
      intervalMs: 30_000,
      windowMs: 30_000,
      minSuccess: 0.99,
      maxP99Ms: 500,
      minRequests: 100,
      threshold: 2,
    });
  });

  it('defaults what is not given: steps 5, 25, 50, 100, a minute each, 99 %, 50 requests, two failed checks', () => {
    const r = parseRolloutSpec('new-nginx');
    expect(r.ok && r.value).to.deep.include({
      steps: [500, 2500, 5000, 10000],
      intervalMs: 60_000,
      windowMs: 60_000,
      minSuccess: 0.99,
      minRequests: 50,
      threshold: 2,
    });
  });

  it('the check window is the interval, at most five minutes, unless given', () => {
    const long = parseRolloutSpec('v; interval=1h');
    expect(long.ok && long.value.windowMs).to.equal(300_000);
    const given = parseRolloutSpec('v; interval=1h; window=90s; max-success-drop=0.5%; threshold=3');
    expect(given.ok && given.value).to.deep.include({ windowMs: 90_000, maxSuccessDrop: 0.005, threshold: 3 });
  });

  const bad: Array<[string, RegExp]> = [
    ['', /the first item, "", must name the Service that grows/],
    ['New_Nginx; steps=5', /must name the Service/],
    ['v; steps=5,25,50,120', /step "120": 120 is more than 100 percent/],
    ['v; steps=50,25', /steps must increase: 25 follows 50/],
    ['v; steps=5,5', /steps must increase/],
    ['v; steps=0,50', /step "0" is 0/],
    ['v; steps=five', /step "five": "five" is not a percentage/],
    ['v; interval=30', /interval: "30" is not a duration/],
    ['v; interval=500ms', /interval: 500 ms is outside 1s to 24h/],
    ['v; min-success=lots', /min-success: "lots" is not a percentage/],
    ['v; min-requests=0', /min-requests: "0" is not a whole number from 1/],
    ['v; threshold=0', /threshold: "0" is not a whole number from 1 to 100/],
    ['v; window=10m', /window: 600000 ms is outside 1s to 5m/],
    ['v; speed=fast', /"speed=fast" is not one of steps=, interval=/],
    ['v; steps', /"steps" is not one of/],
    ['v; steps=5; steps=10', /steps is given twice/],
  ];
  for (const [text, message] of bad)
    it(`refuses ${JSON.stringify(text)}, saying what to write`, () => {
      const r = parseRolloutSpec(text);
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.diagnostics.join('; ')).to.match(message);
    });

  it('durations: ms, s, m, h; anything else says what to write', () => {
    expect([parseDuration('250ms'), parseDuration('30s'), parseDuration('2m'), parseDuration('1h')].map((r) => r.ok && r.value)).to.deep.equal([
      250, 30_000, 120_000, 3_600_000,
    ]);
    expect(parseDuration('1.5s').ok).to.equal(false);
  });

  it('says itself in words for status and the dashboard', () => {
    const r = parseRolloutSpec('new-nginx; steps=5,50,100; interval=30s; max-p99=500ms');
    expect(r.ok && specText(r.value)).to.equal(
      'new-nginx in steps 5% 50% 100%, 30s each; checks: success ≥ 99%, p99 ≤ 500 ms over 50+ requests, 2 failure(s) abort',
    );
  });
});
