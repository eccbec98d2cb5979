// The Metrics interface doing nothing, to measure what metrics cost the xDS hot path
// (BENCH_METRICS_COMPARE=1 runs the Delta fleet with and without them, alternately, in one process).

import { Metrics } from '../src/metrics.js';

export class NoMetrics extends Metrics {
  override counter(): () => void {
    return () => undefined;
  }

  override gauge(): () => void {
    return () => undefined;
  }

  override histogram(): () => void {
    return () => undefined;
  }
}
