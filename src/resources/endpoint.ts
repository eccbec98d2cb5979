// ClusterLoadAssignment from the ready endpoints of a Service port. One locality, and it carries a
// load_balancing_weight because gRPC xDS clients drop localities without one.

import type { ClusterModel } from '../model/types.js';
import type { Resource } from './resource.js';

export function loadAssignment(cluster: Pick<ClusterModel, 'name' | 'endpoints'>): Resource {
  return {
    name: cluster.name,
    body: {
      cluster_name: cluster.name,
      endpoints: [
        {
          locality: {},
          load_balancing_weight: { value: 1 },
          lb_endpoints: cluster.endpoints.map((e) => ({
            endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
          })),
        },
      ],
    },
  };
}
