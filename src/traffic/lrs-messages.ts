// Load Reporting Service messages (envoy.service.load_stats.v3), read and written field by field.
// An Envoy sends its whole node (some 60 KB: every extension it was built with) in every load report,
// not only the first (it ignores set_node_on_first_message_only there); a report is read without
// decoding that node beyond its id, so a thousand proxies reporting every two seconds cost the bytes
// they send and little more. Field numbers are those of lrs.proto and load_report.proto.

import protobuf from 'protobufjs';
import { readCount } from './wire.js';

/** One cluster's counts over one report interval, as the client sent them. */
export interface ClusterLoad {
  cluster: string;
  /** EDS service name, when the client gives one (gRPC does). */
  serviceName: string;
  /** Requests that completed without error (Envoy: not 5xx; gRPC: status OK). */
  succeeded: number;
  /** Requests that completed with an error (Envoy: 5xx, or a gRPC status mapped to one; gRPC: any non-OK status). */
  failed: number;
  /** Requests issued in the interval. */
  issued: number;
  /** Requests in flight at the end of the interval. */
  inFlight: number;
  /** Requests dropped by the client's own load balancer. */
  dropped: number;
  /** The interval the counts cover, in milliseconds (0 when the client gives none). */
  intervalMs: number;
}

export interface LoadReport {
  /** The node id, when the message carries the node. */
  nodeId?: string;
  clusters: ClusterLoad[];
  /** Cluster entries past MAX_CLUSTERS_PER_REPORT, not read. */
  skipped: number;
}

/** Cluster entries read from one report: an Envoy reports each of its clusters once. */
export const MAX_CLUSTERS_PER_REPORT = 10_000;
/** Characters of a cluster name kept: ours are `<namespace>/<service>/<port>`. */
const MAX_NAME = 512;

// Only the id is read: Envoy writes it first, and the rest (some 600 extensions) is skipped whole.
function nodeId(reader: protobuf.Reader, end: number): string {
  let id = '';
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) {
      id = reader.string().slice(0, MAX_NAME);
      break;
    }
    reader.skipType(tag & 7);
  }
  reader.pos = end;
  return id;
}

function duration(reader: protobuf.Reader, end: number): number {
  let seconds = 0;
  let nanos = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 0) seconds = readCount(reader);
    else if (tag >>> 3 === 2 && (tag & 7) === 0) nanos = reader.int32();
    else reader.skipType(tag & 7);
  }
  return seconds * 1000 + Math.max(0, nanos) / 1e6;
}

// UpstreamLocalityStats: total_successful_requests 2, total_requests_in_progress 3,
// total_error_requests 4, total_issued_requests 8. Localities are summed: a version is one Service.
function locality(reader: protobuf.Reader, end: number, into: ClusterLoad): void {
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if ((tag & 7) !== 0 || (field !== 2 && field !== 3 && field !== 4 && field !== 8)) {
      reader.skipType(tag & 7);
      continue;
    }
    const n = readCount(reader);
    if (field === 2) into.succeeded = Math.min(Number.MAX_SAFE_INTEGER, into.succeeded + n);
    else if (field === 3) into.inFlight = Math.min(Number.MAX_SAFE_INTEGER, into.inFlight + n);
    else if (field === 4) into.failed = Math.min(Number.MAX_SAFE_INTEGER, into.failed + n);
    else into.issued = Math.min(Number.MAX_SAFE_INTEGER, into.issued + n);
  }
}

// ClusterStats: cluster_name 1, upstream_locality_stats 2, total_dropped_requests 3,
// load_report_interval 4, cluster_service_name 6.
function clusterStats(reader: protobuf.Reader, end: number): ClusterLoad {
  const load: ClusterLoad = { cluster: '', serviceName: '', succeeded: 0, failed: 0, issued: 0, inFlight: 0, dropped: 0, intervalMs: 0 };
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === 2) load.cluster = reader.string().slice(0, MAX_NAME);
    else if (field === 6 && wire === 2) load.serviceName = reader.string().slice(0, MAX_NAME);
    else if (field === 2 && wire === 2) {
      const length = reader.uint32();
      locality(reader, reader.pos + length, load);
    } else if (field === 3 && wire === 0) load.dropped = readCount(reader);
    else if (field === 4 && wire === 2) {
      const length = reader.uint32();
      load.intervalMs = duration(reader, reader.pos + length);
    } else reader.skipType(wire);
  }
  return load;
}

/** A LoadStatsRequest: node 1 (only its id is read), cluster_stats 2. Throws on bytes that are not one. */
export function decodeLoadReport(bytes: Uint8Array): LoadReport {
  const reader = protobuf.Reader.create(bytes);
  const report: LoadReport = { clusters: [], skipped: 0 };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === 2) {
      const length = reader.uint32();
      report.nodeId = nodeId(reader, reader.pos + length);
    } else if (field === 2 && wire === 2) {
      const length = reader.uint32();
      if (report.clusters.length >= MAX_CLUSTERS_PER_REPORT) {
        report.skipped++;
        reader.skip(length);
      } else report.clusters.push(clusterStats(reader, reader.pos + length));
    } else reader.skipType(wire);
  }
  return report;
}

/** A LoadStatsResponse: report every cluster (send_all_clusters 4) every `intervalMs` (load_reporting_interval 2). */
export function encodeLoadReportingAnswer(intervalMs: number): Buffer {
  const writer = protobuf.Writer.create();
  writer
    .uint32((2 << 3) | 2)
    .fork()
    .uint32((1 << 3) | 0)
    .int64(Math.floor(intervalMs / 1000))
    .uint32((2 << 3) | 0)
    .int32((intervalMs % 1000) * 1e6)
    .ldelim();
  writer.uint32((4 << 3) | 0).bool(true);
  return Buffer.from(writer.finish());
}

/** For clients and tests: a LoadStatsRequest from plain counts. */
export function encodeLoadReport(report: { nodeId?: string; clusters: Array<Partial<ClusterLoad> & { cluster: string }> }): Buffer {
  const writer = protobuf.Writer.create();
  if (report.nodeId !== undefined)
    writer
      .uint32((1 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string(report.nodeId)
      .ldelim();
  for (const c of report.clusters) {
    writer.uint32((2 << 3) | 2).fork();
    writer.uint32((1 << 3) | 2).string(c.cluster);
    if (c.serviceName) writer.uint32((6 << 3) | 2).string(c.serviceName);
    writer.uint32((2 << 3) | 2).fork();
    writer.uint32((2 << 3) | 0).uint64(c.succeeded ?? 0);
    writer.uint32((3 << 3) | 0).uint64(c.inFlight ?? 0);
    writer.uint32((4 << 3) | 0).uint64(c.failed ?? 0);
    writer.uint32((8 << 3) | 0).uint64(c.issued ?? (c.succeeded ?? 0) + (c.failed ?? 0));
    writer.ldelim();
    if (c.dropped) writer.uint32((3 << 3) | 0).uint64(c.dropped);
    const ms = c.intervalMs ?? 2000;
    writer
      .uint32((4 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 0)
      .int64(Math.floor(ms / 1000))
      .uint32((2 << 3) | 0)
      .int32(Math.round((ms % 1000) * 1e6))
      .ldelim();
    writer.ldelim();
  }
  return Buffer.from(writer.finish());
}

/** For clients and tests: the reporting interval a LoadStatsResponse asks for, in milliseconds. */
export function decodeLoadReportingAnswer(bytes: Uint8Array): { intervalMs: number; all: boolean; clusters: string[] } {
  const reader = protobuf.Reader.create(bytes);
  const out = { intervalMs: 0, all: false, clusters: [] as string[] };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) out.clusters.push(reader.string());
    else if (tag >>> 3 === 2 && (tag & 7) === 2) {
      const length = reader.uint32();
      out.intervalMs = duration(reader, reader.pos + length);
    } else if (tag >>> 3 === 4 && (tag & 7) === 0) out.all = reader.bool();
    else reader.skipType(tag & 7);
  }
  return out;
}
