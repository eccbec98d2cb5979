// One EDS cluster per Service port, its endpoints delivered over the same ADS stream. `lrs_server: self`
// asks a proxyless gRPC client to report the cluster's load to us on the same connection (each
// version's live traffic, src/traffic/); Envoy reports through its bootstrap's load_stats_config.

import type { ClusterModel } from '../model/types.js';
import { ADS_CONFIG_SOURCE, type Resource } from './resource.js';

const HTTP_PROTOCOL_OPTIONS = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export function edsCluster(cluster: Pick<ClusterModel, 'name' | 'http2'>): Resource {
  const body: Record<string, unknown> = {
    name: cluster.name,
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS_CONFIG_SOURCE },
    connect_timeout: { seconds: 5 },
    lb_policy: 'ROUND_ROBIN',
    lrs_server: { self: {} },
  };
  // gRPC backends speak HTTP/2 in the clear (h2c); Envoy would otherwise send them HTTP/1.1.
  if (cluster.http2)
    body.typed_extension_protocol_options = {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': HTTP_PROTOCOL_OPTIONS, explicit_http_config: { http2_protocol_options: {} } },
    };
  return { name: cluster.name, body };
}
