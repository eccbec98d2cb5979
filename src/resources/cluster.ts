// One EDS cluster per Service port, its endpoints delivered over the same ADS stream. `lrs_server: self`
// asks a proxyless gRPC client to report the cluster's load to us on the same connection (each
// version's live traffic, src/traffic/); Envoy reports through its bootstrap's load_stats_config.

import type { ClusterModel } from '../model/types.js';
import { ADS_CONFIG_SOURCE, type Resource } from './resource.js';

export function edsCluster(cluster: Pick<ClusterModel, 'name'>): Resource {
  return {
    name: cluster.name,
    body: {
      name: cluster.name,
      type: 'EDS',
      eds_cluster_config: { eds_config: ADS_CONFIG_SOURCE },
      connect_timeout: { seconds: 5 },
      lb_policy: 'ROUND_ROBIN',
      lrs_server: { self: {} },
    },
  };
}
