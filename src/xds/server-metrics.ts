// The ADS server's Prometheus metrics, made once per server: what is pushed, acknowledged and refused,
// and the streams open.

import type { Metrics } from '../metrics.js';

export type XdsServerMetrics = ReturnType<typeof xdsServerMetrics>;

export function xdsServerMetrics(metrics: Metrics) {
  const responses = metrics.counter('splitplane_xds_responses_total', 'DiscoveryResponses sent (pushes), by type.', ['type']);
  const bytes = metrics.counter('splitplane_xds_response_bytes_total', 'Bytes of DiscoveryResponses written, by type.', ['type']);
  const acks = metrics.counter('splitplane_xds_acks_total', 'ACKs received, by type.', ['type']);
  const ackLatency = metrics.histogram(
    'splitplane_xds_ack_latency_seconds',
    'From writing a response to its ACK, by type.',
    ['type'],
    [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  const nacks = metrics.counter(
    'splitplane_xds_nacks_total',
    'NACKs received, by type and node. A NACK of a version other proxies accepted points at that proxy; any other is a splitplane bug.',
    ['type', 'node'],
  );
  const nacksUnjudged = metrics.counter(
    'splitplane_xds_nacks_unjudged_total',
    'NACKs not traced because their client exceeded its NACK budget (a burst, then one a second).',
    ['type'],
  );
  const stale = metrics.counter('splitplane_xds_stale_nonce_total', 'Requests ignored because they answered a superseded response.', ['type']);
  const refusedStreams = metrics.counter(
    'splitplane_xds_streams_refused_total',
    'ADS streams refused or ended because their client went past a limit (streams per peer, names, bytes not read).',
    ['reason'],
  );
  const streamsGauge = metrics.gauge('splitplane_xds_streams', 'Open ADS streams.', []);
  const clientsGauge = metrics.gauge('splitplane_xds_clients', 'Connected ADS streams by client kind (envoy, or grpc for proxyless gRPC).', ['kind']);
  return { responses, bytes, acks, ackLatency, nacks, nacksUnjudged, refusedStreams, stale, streamsGauge, clientsGauge };
}
