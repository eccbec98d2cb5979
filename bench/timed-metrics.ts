// The real metrics, with the time spent inside them added up: what metrics cost the xDS hot path,
// read directly rather than as the difference of two noisy fleet runs (BENCH_METRICS_COMPARE=1).
// The clock's own cost per call is measured once and taken off.

import { Metrics } from '../src/metrics.js';

const clock = () => process.hrtime.bigint();

export class TimedMetrics extends Metrics {
  private spentNs = 0n;
  private calls = 0;
  /** What timing one call costs with nothing inside, in ns (the median of many). */
  private readonly clockNs = calibrate();

  /** Milliseconds spent inside metric calls so far, the clock's cost taken off. */
  spentMs(): number {
    return Math.max(0, Number(this.spentNs) / 1e6 - (this.calls * this.clockNs) / 1e6);
  }

  private timed<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      const t0 = clock();
      fn(...args);
      this.spentNs += clock() - t0;
      this.calls++;
    };
  }

  override counter(...args: Parameters<Metrics['counter']>): ReturnType<Metrics['counter']> {
    return this.timed(super.counter(...args));
  }

  override gauge(...args: Parameters<Metrics['gauge']>): ReturnType<Metrics['gauge']> {
    return this.timed(super.gauge(...args));
  }

  override histogram(...args: Parameters<Metrics['histogram']>): ReturnType<Metrics['histogram']> {
    return this.timed(super.histogram(...args));
  }
}

function calibrate(): number {
  const empty = () => undefined;
  const samples: number[] = [];
  for (let round = 0; round < 21; round++) {
    const n = 20_000;
    let spent = 0n;
    for (let i = 0; i < n; i++) {
      const t0 = clock();
      empty();
      spent += clock() - t0;
    }
    samples.push(Number(spent) / n);
  }
  return samples.sort((a, b) => a - b)[10]!;
}
