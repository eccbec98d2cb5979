// The Metrics Service (envoy.service.metrics.v3.MetricsService) on the xDS port: Envoy's
// `envoy.stat_sinks.metrics_service` streams its stats every flush (the bootstraps turn it on, every 5 s),
// and each cluster's upstream request time goes into the latency window for the p99 checks. Only what
// LRS lacks is read: the rest of the flush is skipped (docs/design.md says why both, and what each costs).
// The same bounds as load reports: the first message names the node, an ADS stream of that node must be
// open from the same address, one flush per proxy per second is taken, only served clusters are kept.

import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../log.js';
import { truncate } from '../log-limit.js';
import { ReportGate } from './report-gate.js';
import { VERDICTS } from './load-reporting.js';
import type { Metrics } from '../metrics.js';
import { peerAddress } from '../xds/credentials.js';
import type { LatencyWindow } from './latency.js';
import { decodeMetricsReport, type MetricsReport } from './metrics-messages.js';

export const METRICS_SERVICE = 'envoy.service.metrics.v3.MetricsService';
export const METRICS_METHOD_PATH = `/${METRICS_SERVICE}/StreamMetrics`;

export const metricsServiceDefinition: grpc.ServiceDefinition = {
  StreamMetrics: {
    path: METRICS_METHOD_PATH,
    requestStream: true,
    responseStream: false,
    requestSerialize: (value: unknown) => value as Buffer,
    requestDeserialize: (bytes: Buffer) => bytes,
    // StreamMetricsResponse is empty.
    responseSerialize: () => Buffer.alloc(0),
    responseDeserialize: (bytes: Buffer) => bytes,
  },
};

const MIN_FLUSH_MS = 1000;

export interface MetricsSinkOptions {
  window: LatencyWindow;
  served(cluster: string): boolean;
  connected(nodeId: string, address: string): boolean;
  maxStreamsPerPeer: number;
  now?: () => number;
}

export class MetricsSink {
  private readonly gate: ReportGate;
  private readonly open = new Set<grpc.ServerReadableStream<Buffer, Buffer>>();
  private readonly flushes: (labels: { result: string }) => void;
  private readonly now: () => number;
  taken = 0;

  constructor(
    private readonly options: MetricsSinkOptions,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.now = options.now ?? Date.now;
    this.gate = new ReportGate({ maxStreamsPerPeer: options.maxStreamsPerPeer, connected: options.connected, now: this.now }, log, 'stat flush');
    this.flushes = metrics.counter(
      'splitplane_metrics_flushes_total',
      'Stat flushes received from Envoy (Metrics Service), by result: taken, or why not (no ADS stream, too often, unreadable).',
      ['result'],
    );
  }

  handlers(): grpc.UntypedServiceImplementation {
    return {
      StreamMetrics: (call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => this.stream(call, callback),
    };
  }

  close(): void {
    for (const call of this.open) call.destroy();
    this.open.clear();
  }

  private stream(call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void {
    const address = peerAddress(call.getPeer());
    const refused = this.gate.opened(address);
    if (refused) {
      callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: refused });
      return;
    }
    this.open.add(call);
    let node: string | undefined;
    let done = false;
    const close = (error?: grpc.ServiceError | { code: grpc.status; details: string }) => {
      if (done) return;
      done = true;
      this.open.delete(call);
      this.gate.closed(address);
      if (error) callback(error);
      else callback(null, Buffer.alloc(0));
    };
    call.on('data', (bytes: Buffer) => {
      let report: MetricsReport;
      try {
        report = decodeMetricsReport(bytes);
      } catch (error) {
        this.flushes({ result: 'unreadable' });
        close({ code: grpc.status.INVALID_ARGUMENT, details: `not a StreamMetricsMessage: ${truncate(String(error), 200)}` });
        return;
      }
      node ??= report.nodeId;
      if (!node) {
        this.flushes({ result: 'no-node' });
        close({ code: grpc.status.INVALID_ARGUMENT, details: 'the first StreamMetricsMessage must carry the identifier (its node id)' });
        return;
      }
      this.take(node, address, report);
    });
    call.on('end', () => close());
    call.on('error', () => close());
    call.on('cancelled', () => close());
  }

  private take(node: string, address: string, report: MetricsReport): void {
    const verdict = this.gate.judge(node, address, MIN_FLUSH_MS);
    this.flushes(VERDICTS[verdict]);
    if (verdict !== 'taken') return;
    const proxy = `${node}@${address}`;
    const now = this.now();
    for (const latency of report.latencies) if (this.options.served(latency.cluster)) this.options.window.record(proxy, latency, now);
    this.taken++;
  }
}
