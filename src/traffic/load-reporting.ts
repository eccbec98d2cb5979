// The Load Reporting Service (envoy.service.load_stats.v3.LoadReportingService) on the xDS port: Envoy
// (cluster_manager.load_stats_config) and proxyless gRPC clients (a cluster's lrs_server: self) report
// each cluster's requests, failures and requests in flight every interval we ask for. Reports go into
// the traffic window; what they may change is bounded as docs/safety.md says ("Load reports"):
//
// - a report is taken only from a client with an ADS stream of the same node id from the same address,
//   and only for clusters the current configuration serves;
// - one report per proxy (node id and address) per half interval is taken, however many streams it opens;
// - a stream's first message must name its node; streams per address are limited like ADS streams.

import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../log.js';
import { truncate } from '../log-limit.js';
import { ReportGate, type Verdict } from './report-gate.js';
import type { Metrics } from '../metrics.js';
import { peerAddress } from '../xds/credentials.js';
import { decodeLoadReport, encodeLoadReportingAnswer, type LoadReport } from './lrs-messages.js';
import type { ClusterLoad } from './lrs-messages.js';

/** Where taken reports go (the traffic window). */
export interface ReportSink {
  record(proxy: string, load: ClusterLoad, at: number): void;
  /** The proxy's stream closed: nothing of it is in flight any more. */
  gone(proxy: string): void;
}

export const LRS_SERVICE = 'envoy.service.load_stats.v3.LoadReportingService';
export const LRS_METHOD_PATH = `/${LRS_SERVICE}/StreamLoadStats`;

/** How often clients are asked to report, by default (--load-report-interval-ms). */
export const DEFAULT_REPORT_INTERVAL_MS = 2000;
/**
 * Reports taken per second across the fleet, by default (--max-load-reports-per-second). Envoy resends
 * its whole node (~60 KB) in every report, so a report costs its bytes whatever it says: a fleet larger
 * than this times the interval is asked to report less often, each proxy as often as the budget allows.
 */
export const DEFAULT_MAX_REPORTS_PER_SECOND = 25;
/** How often the interval told to the streams is looked at again as the fleet grows or shrinks. */
const RETELL_MS = 5000;

/** The interval each client is told: the configured one, or longer when the fleet's reports would pass the budget. */
export function budgetedInterval(intervalMs: number, streams: number, maxPerSecond: number): number {
  const needed = Math.ceil((streams / maxPerSecond) * 1000);
  return Math.max(intervalMs, Math.ceil(needed / 1000) * 1000);
}

export const loadReportingDefinition: grpc.ServiceDefinition = {
  StreamLoadStats: {
    path: LRS_METHOD_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: (value: unknown) => value as Buffer,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: (value: Buffer) => value,
    responseDeserialize: (bytes: Buffer) => bytes,
  },
};

export interface LoadReportingOptions {
  intervalMs: number;
  sink: ReportSink;
  /** Whether the current configuration serves this cluster. */
  served(cluster: string): boolean;
  /** Whether an ADS stream of this node id is open from this address. */
  connected(nodeId: string, address: string): boolean;
  maxStreamsPerPeer: number;
  /** Reports per second across the fleet (DEFAULT_MAX_REPORTS_PER_SECOND). */
  maxReportsPerSecond?: number;
  now?: () => number;
}

/** One labels object per verdict, shared by every report (metrics.ts keys series by the object). */
export const VERDICTS: Readonly<Record<Verdict, Readonly<{ result: string }>>> = {
  taken: Object.freeze({ result: 'taken' }),
  'no-ads-stream': Object.freeze({ result: 'no-ads-stream' }),
  'too-often': Object.freeze({ result: 'too-often' }),
};

/** The proxy a report is counted for: its node id and its address, as the ADS streams are matched. */
export function proxyKey(nodeId: string, address: string): string {
  return `${nodeId}@${address}`;
}

export class LoadReporting {
  private readonly gate: ReportGate;
  /** Open streams and the interval each was told. */
  private readonly open = new Map<grpc.ServerDuplexStream<Buffer, Buffer>, number>();
  private retell: NodeJS.Timeout | undefined;
  private readonly reports: (labels: { result: string }) => void;
  private readonly streamsGauge: (value: number) => void;
  private readonly now: () => number;

  constructor(
    private readonly options: LoadReportingOptions,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.now = options.now ?? Date.now;
    this.gate = new ReportGate({ maxStreamsPerPeer: options.maxStreamsPerPeer, connected: options.connected, now: this.now }, log, 'load report');
    this.reports = metrics.counter(
      'splitplane_load_reports_total',
      'Load reports received, by result: taken, or why not (no ADS stream, too often, unreadable).',
      ['result'],
    );
    this.streamsGauge = metrics.gauge('splitplane_load_report_streams', 'Open load reporting (LRS) streams.', []);
    this.streamsGauge(0);
    this.intervalGauge = metrics.gauge(
      'splitplane_load_report_interval_seconds',
      'The interval proxies are told to report at: the configured one, or longer for a fleet past the report budget.',
      [],
    );
    this.intervalGauge(options.intervalMs / 1000);
    // As the fleet grows past the budget (or shrinks back) the streams are told the interval again.
    this.retell = setInterval(() => this.tellInterval(), RETELL_MS);
    this.retell.unref();
  }

  private readonly intervalGauge: (value: number) => void;

  /** The interval a client is told now. */
  interval(): number {
    return budgetedInterval(this.options.intervalMs, this.open.size, this.options.maxReportsPerSecond ?? DEFAULT_MAX_REPORTS_PER_SECOND);
  }

  private tellInterval(): void {
    const now = this.interval();
    this.intervalGauge(now / 1000);
    for (const [call, told] of this.open) {
      if (told === now || Math.abs(told - now) / now < 0.2) continue;
      this.open.set(call, now);
      call.write(encodeLoadReportingAnswer(now));
    }
  }

  handlers(): grpc.UntypedServiceImplementation {
    return { StreamLoadStats: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.stream(call) };
  }

  /** Ends every stream (shutdown); clients reconnect to whoever serves next. */
  close(): void {
    clearInterval(this.retell);
    for (const call of this.open.keys()) call.end();
    this.open.clear();
  }

  private stream(call: grpc.ServerDuplexStream<Buffer, Buffer>): void {
    const address = peerAddress(call.getPeer());
    const refused = this.gate.opened(address);
    if (refused) {
      call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: refused });
      return;
    }
    this.open.set(call, 0);
    this.streamsGauge(this.open.size);
    let proxy: string | undefined;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      this.open.delete(call);
      this.streamsGauge(this.open.size);
      this.gate.closed(address);
      if (proxy) this.options.sink.gone(proxy);
    };
    call.on('data', (bytes: Buffer) => {
      let report: LoadReport;
      try {
        report = decodeLoadReport(bytes);
      } catch (error) {
        this.reports({ result: 'unreadable' });
        call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: `not a LoadStatsRequest: ${truncate(String(error), 200)}` });
        close();
        return;
      }
      if (proxy === undefined) {
        // The first message names the node; the answer says what to report and how often.
        if (!report.nodeId) {
          this.reports({ result: 'no-node' });
          call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'the first LoadStatsRequest must carry the node (its id)' });
          close();
          return;
        }
        proxy = `${report.nodeId}@${address}`;
        const interval = this.interval();
        this.open.set(call, interval);
        call.write(encodeLoadReportingAnswer(interval));
      }
      if (report.clusters.length > 0) this.take(proxy, report.nodeId ?? proxy.slice(0, proxy.lastIndexOf('@')), address, report);
    });
    call.on('end', () => {
      call.end();
      close();
    });
    call.on('error', close);
    call.on('cancelled', close);
    call.on('close', close);
  }

  private take(proxy: string, nodeId: string, address: string, report: LoadReport): void {
    const verdict = this.gate.judge(nodeId, address, this.options.intervalMs / 2);
    this.reports(VERDICTS[verdict]);
    if (verdict !== 'taken') return;
    const now = this.now();
    for (const load of report.clusters) if (this.options.served(load.cluster)) this.options.sink.record(proxy, load, now);
  }
}
