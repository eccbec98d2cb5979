// The Metrics Service stat sink's messages (envoy.service.metrics.v3.StreamMetricsMessage), read field by
// field for the one family a rollout's latency check needs: each cluster's upstream request time
// histogram. The families are Prometheus' client model (MetricFamily: name 1, type 3, metric 4; Metric:
// label 1, histogram 7; Histogram: sample_count 1, bucket 3; Bucket: cumulative_count 1, upper_bound 2),
// read from their wire format rather than loaded from a .proto the Envoy API package does not ship.
// Every other family of the flush (a hundred and more) is skipped unread.

import protobuf from 'protobufjs';
import { readCount } from './wire.js';

/** One cluster's request times over one flush: bucket upper bounds (ms) and the count in each, not cumulative. */
export interface ClusterLatency {
  cluster: string;
  bounds: number[];
  counts: number[];
  /** Requests timed, the +Inf bucket included. */
  total: number;
}

export interface MetricsReport {
  nodeId?: string;
  latencies: ClusterLatency[];
}

const FAMILY = 'cluster.upstream_rq_time';
const HISTOGRAM = 4;
/** Latency entries read from one flush: one per cluster. */
const MAX_ENTRIES = 10_000;
const MAX_BUCKETS = 64;

function strings(reader: protobuf.Reader, end: number): [string, string] {
  let name = '';
  let value = '';
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) name = reader.string();
    else if (tag >>> 3 === 2 && (tag & 7) === 2) value = reader.string();
    else reader.skipType(tag & 7);
  }
  return [name, value];
}

function histogram(reader: protobuf.Reader, end: number): { bounds: number[]; cumulative: number[]; total: number } {
  const bounds: number[] = [];
  const cumulative: number[] = [];
  let total = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === 0) total = readCount(reader);
    else if (field === 3 && (tag & 7) === 2) {
      const stop = reader.uint32() + reader.pos;
      let bound = NaN;
      let n = 0;
      while (reader.pos < stop) {
        const t = reader.uint32();
        if (t >>> 3 === 1 && (t & 7) === 0) n = readCount(reader);
        else if (t >>> 3 === 2 && (t & 7) === 1) bound = reader.double();
        else reader.skipType(t & 7);
      }
      if (Number.isFinite(bound) && bounds.length < MAX_BUCKETS) {
        bounds.push(bound);
        cumulative.push(n);
      }
    } else reader.skipType(tag & 7);
  }
  return { bounds, cumulative, total };
}

// A Metric of the family: its cluster label (emit_tags_as_labels) and its histogram.
function metric(reader: protobuf.Reader, end: number, familyCluster: string | undefined): ClusterLatency | undefined {
  let cluster = familyCluster ?? '';
  let h: ReturnType<typeof histogram> | undefined;
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === 2) {
      const [name, value] = strings(reader, reader.uint32() + reader.pos);
      if (name === 'envoy.cluster_name' || name === 'envoy_cluster_name') cluster = value;
    } else if (field === 7 && (tag & 7) === 2) h = histogram(reader, reader.uint32() + reader.pos);
    else reader.skipType(tag & 7);
  }
  if (!h || !cluster) return undefined;
  // Cumulative buckets (Prometheus') → the count in each; the rest of the total is above the last bound.
  const counts = h.cumulative.map((c, i) => Math.max(0, c - (i > 0 ? h.cumulative[i - 1]! : 0)));
  return { cluster: cluster.slice(0, 512), bounds: h.bounds, counts, total: Math.max(h.total, h.cumulative[h.cumulative.length - 1] ?? 0) };
}

/** The cluster named in a family's name when tags are not emitted as labels: `cluster.<name>.upstream_rq_time`. */
function clusterOfName(name: string): string | undefined {
  if (name === FAMILY) return undefined;
  if (name.startsWith('cluster.') && name.endsWith('.upstream_rq_time')) return name.slice('cluster.'.length, -'.upstream_rq_time'.length);
  return '';
}

function family(reader: protobuf.Reader, end: number, out: ClusterLatency[]): void {
  const start = reader.pos;
  let name: string | undefined;
  let type = 0;
  // The name comes first in Envoy's encoding; a family that is not ours is skipped at once.
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === 2) {
      name = reader.string();
      const cluster = clusterOfName(name);
      if (cluster === '') {
        reader.pos = end;
        return;
      }
    } else if (field === 3 && (tag & 7) === 0) type = reader.int32();
    else reader.skipType(tag & 7);
  }
  if (name === undefined || type !== HISTOGRAM) return;
  const familyCluster = clusterOfName(name);
  reader.pos = start;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 === 4 && (tag & 7) === 2) {
      const m = metric(reader, reader.uint32() + reader.pos, familyCluster);
      if (m && out.length < MAX_ENTRIES) out.push(m);
    } else reader.skipType(tag & 7);
  }
}

/** A StreamMetricsMessage: identifier 1 (node 1, id 1), envoy_metrics 2. Throws on bytes that are not one. */
export function decodeMetricsReport(bytes: Uint8Array): MetricsReport {
  const reader = protobuf.Reader.create(bytes);
  const report: MetricsReport = { latencies: [] };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === 2) {
      const end = reader.uint32() + reader.pos;
      while (reader.pos < end) {
        const t = reader.uint32();
        if (t >>> 3 === 1 && (t & 7) === 2) {
          const nodeEnd = reader.uint32() + reader.pos;
          while (reader.pos < nodeEnd) {
            const nt = reader.uint32();
            if (nt >>> 3 === 1 && (nt & 7) === 2) report.nodeId = reader.string().slice(0, 512);
            else reader.skipType(nt & 7);
          }
        } else reader.skipType(t & 7);
      }
    } else if (field === 2 && (tag & 7) === 2) family(reader, reader.uint32() + reader.pos, report.latencies);
    else reader.skipType(tag & 7);
  }
  return report;
}

/** For tests and clients: a StreamMetricsMessage carrying request-time histograms (cumulative buckets, as Envoy sends). */
export function encodeMetricsReport(report: { nodeId?: string; latencies: Array<{ cluster: string; bounds: number[]; counts: number[] }> }): Buffer {
  const w = protobuf.Writer.create();
  if (report.nodeId !== undefined) {
    w.uint32((1 << 3) | 2).fork();
    w.uint32((1 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string(report.nodeId)
      .ldelim();
    w.ldelim();
  }
  // A family Envoy also sends, which the reader skips.
  w.uint32((2 << 3) | 2)
    .fork()
    .uint32((1 << 3) | 2)
    .string('cluster.upstream_cx_total')
    .uint32((3 << 3) | 0)
    .int32(0)
    .ldelim();
  w.uint32((2 << 3) | 2).fork();
  w.uint32((1 << 3) | 2).string(FAMILY);
  w.uint32((3 << 3) | 0).int32(HISTOGRAM);
  for (const l of report.latencies) {
    w.uint32((4 << 3) | 2).fork();
    w.uint32((1 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string('envoy.cluster_name')
      .uint32((2 << 3) | 2)
      .string(l.cluster)
      .ldelim();
    w.uint32((7 << 3) | 2).fork();
    let cumulative = 0;
    const total = l.counts.reduce((a, b) => a + b, 0);
    w.uint32((1 << 3) | 0).uint64(total);
    l.bounds.forEach((bound, i) => {
      cumulative += l.counts[i] ?? 0;
      w.uint32((3 << 3) | 2)
        .fork()
        .uint32((1 << 3) | 0)
        .uint64(cumulative)
        .uint32((2 << 3) | 1)
        .double(bound)
        .ldelim();
    });
    w.ldelim();
    w.ldelim();
  }
  w.ldelim();
  return Buffer.from(w.finish());
}
