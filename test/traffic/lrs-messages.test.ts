import { expect } from 'chai';
import protobuf from 'protobufjs';
import {
  decodeLoadReport,
  decodeLoadReportingAnswer,
  encodeLoadReport,
  encodeLoadReportingAnswer,
  MAX_CLUSTERS_PER_REPORT,
} from '../../src/traffic/lrs-messages.js';
import { messageType, envoyRoot } from '../../src/proto/registry.js';

describe('traffic/lrs-messages', () => {
  before(() => {
    envoyRoot().loadSync('envoy/service/load_stats/v3/lrs.proto', { keepCase: true });
  });

  it("reads what Envoy's own message type writes: node id, clusters, localities summed, the interval", () => {
    const type = messageType('envoy.service.load_stats.v3.LoadStatsRequest');
    const bytes = type
      .encode(
        type.fromObject({
          node: { id: 'envoy-7', cluster: 'c', user_agent_name: 'envoy', metadata: { fields: { x: { string_value: 'y'.repeat(50_000) } } } },
          cluster_stats: [
            {
              cluster_name: 'default/new-nginx/80',
              cluster_service_name: 'eds',
              upstream_locality_stats: [
                { total_successful_requests: 45, total_error_requests: 4, total_issued_requests: 49, total_requests_in_progress: 2 },
                { total_successful_requests: 5, total_error_requests: 1, total_issued_requests: 6 },
              ],
              total_dropped_requests: 3,
              load_report_interval: { seconds: 2, nanos: 25_000_000 },
            },
          ],
        }),
      )
      .finish();
    expect(decodeLoadReport(bytes)).to.deep.equal({
      nodeId: 'envoy-7',
      skipped: 0,
      clusters: [{ cluster: 'default/new-nginx/80', serviceName: 'eds', succeeded: 50, failed: 5, issued: 55, inFlight: 2, dropped: 3, intervalMs: 2025 }],
    });
  });

  it('round-trips our own encoding, and the answer asks for every cluster at the interval', () => {
    const bytes = encodeLoadReport({ nodeId: 'n', clusters: [{ cluster: 'a', succeeded: 7, failed: 1, inFlight: 2, intervalMs: 1500 }] });
    expect(decodeLoadReport(bytes).clusters[0]).to.include({ cluster: 'a', succeeded: 7, failed: 1, issued: 8, inFlight: 2, intervalMs: 1500 });
    expect(decodeLoadReportingAnswer(encodeLoadReportingAnswer(2500))).to.deep.equal({ intervalMs: 2500, all: true, clusters: [] });
    const type = messageType('envoy.service.load_stats.v3.LoadStatsResponse');
    expect(type.toObject(type.decode(encodeLoadReportingAnswer(2000)), { longs: Number })).to.deep.include({
      send_all_clusters: true,
      load_reporting_interval: { seconds: 2, nanos: 0 },
    });
  });

  it('hostile input: counts past 2^53 are clamped, cluster entries past the limit are skipped, junk throws', () => {
    const w = protobuf.Writer.create();
    w.uint32((2 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string('c');
    w.uint32((2 << 3) | 2).fork();
    w.uint32((4 << 3) | 0).uint64('18446744073709551615');
    w.ldelim();
    w.ldelim();
    const r = decodeLoadReport(w.finish());
    expect(r.clusters[0]!.failed).to.equal(Number.MAX_SAFE_INTEGER);
    const many = encodeLoadReport({ clusters: Array.from({ length: MAX_CLUSTERS_PER_REPORT + 5 }, (_, i) => ({ cluster: `c${i}`, succeeded: 1 })) });
    const big = decodeLoadReport(many);
    expect([big.clusters.length, big.skipped]).to.deep.equal([MAX_CLUSTERS_PER_REPORT, 5]);
    expect(() => decodeLoadReport(Buffer.from([0x12, 0xff, 0xff, 0xff]))).to.throw();
  });
});

describe('traffic/load-reporting: the fleet-wide report budget', () => {
  it('a fleet past the budget is told a longer interval, in whole seconds; a small one the configured one', async () => {
    const { budgetedInterval } = await import('../../src/traffic/load-reporting.js');
    expect(budgetedInterval(2000, 50, 100)).to.equal(2000);
    expect(budgetedInterval(2000, 200, 100)).to.equal(2000);
    expect(budgetedInterval(2000, 250, 100)).to.equal(3000);
    expect(budgetedInterval(2000, 1000, 100)).to.equal(10_000);
    expect(budgetedInterval(500, 10_000, 100)).to.equal(100_000);
  });
});
