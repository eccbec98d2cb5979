// Prometheus metrics through prom-client, one registry per control plane (tests run several in one
// process). Callers get small functions (count, set, observe) so the rest of the code does not depend
// on prom-client; `value` reads a counter or gauge back synchronously, for tests and debug pages.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

type Labels = Record<string, string>;

/** How often the event loop's lag is sampled (nodejs_eventloop_lag_* metrics). */
export const EVENT_LOOP_SAMPLE_MS = 1000;

export class Metrics {
  readonly registry = new Registry();
  /** Counter and gauge values by name and labels, mirrored so `value` needs no await. */
  private readonly values = new Map<string, number>();
  private readonly metrics = new Map<string, Counter | Gauge | Histogram>();

  /** With `process`, the process defaults too (CPU, memory, event loop lag, GC, handles). */
  constructor(options: { process?: boolean } = {}) {
    // The event loop lag quantiles are sampled by a timer: prom-client's 10 ms default wakes an idle
    // process 100 times a second, 6–9 ms of CPU a second on the development VM, most of what splitplane
    // cost at rest; at 100 ms it was still 1.2 ms/s. One sample a second keeps rest under 1 ms/s, and
    // nodejs_eventloop_lag_seconds is still measured at every scrape.
    if (options.process) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** A counter; `labelNames` defaults to the label names of its first use. */
  counter(name: string, help: string, labelNames?: readonly string[]): (labels?: Labels, by?: number) => void {
    const make = (names: string[]) => new Counter({ name, help, labelNames: names, registers: [this.registry] });
    // Declared up front, the family is on the page (HELP and TYPE) before its first sample.
    if (labelNames) this.metric(name, labelNames, make);
    return (labels = {}, by = 1) => {
      const counter = this.metric(name, labelNames ?? Object.keys(labels), make);
      counter.inc(labels, by);
      const key = seriesKey(name, labels);
      this.values.set(key, (this.values.get(key) ?? 0) + by);
    };
  }

  gauge(name: string, help: string, labelNames?: readonly string[]): (value: number, labels?: Labels) => void {
    const make = (names: string[]) => new Gauge({ name, help, labelNames: names, registers: [this.registry] });
    if (labelNames) this.metric(name, labelNames, make);
    return (value, labels = {}) => {
      const gauge = this.metric(name, labelNames ?? Object.keys(labels), make);
      gauge.set(labels, value);
      this.values.set(seriesKey(name, labels), value);
    };
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: number[]): (value: number, labels?: Labels) => void {
    const histogram = this.metric(name, labelNames, (names) => new Histogram({ name, help, labelNames: names, buckets, registers: [this.registry] }));
    return (value, labels = {}) => histogram.observe(labels, value);
  }

  /** Forgets every series of a gauge: for gauges set whole each time (a group that is gone has no series). */
  resetGauge(name: string): void {
    const metric = this.metrics.get(name);
    if (metric instanceof Gauge) metric.reset();
    for (const key of [...this.values.keys()]) if (key.startsWith(`${name}{`)) this.values.delete(key);
  }

  /** Current value of a counter or gauge series, for tests and the admin page. */
  value(name: string, labels: Labels = {}): number {
    return this.values.get(seriesKey(name, labels)) ?? 0;
  }

  /** The text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  private metric<M extends Counter | Gauge | Histogram>(name: string, labelNames: readonly string[], make: (names: string[]) => M): M {
    let metric = this.metrics.get(name);
    if (!metric) this.metrics.set(name, (metric = make([...labelNames])));
    return metric as M;
  }
}

// The xDS server counts every response and ACK of a thousand streams with the same few label objects
// (one per type): their series keys are made once per object, not sorted and joined per call, which
// was three quarters of a metric call's cost. A labels object is never changed once used (the
// server's are frozen; other callers make a new one per call).
const keys = new WeakMap<Labels, Map<string, string>>();

function seriesKey(name: string, labels: Labels): string {
  let byName = keys.get(labels);
  if (!byName) keys.set(labels, (byName = new Map()));
  let key = byName.get(name);
  if (key === undefined) {
    key = `${name}{${Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k]}`)
      .join(',')}}`;
    byName.set(name, key);
  }
  return key;
}
