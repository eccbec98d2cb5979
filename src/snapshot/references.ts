// What each encoded resource names of the next type down (a listener its route configuration, a route
// its clusters, a cluster its endpoints) and which secrets a listener needs: read back from the bodies
// translation made, for make-before-break ordering and the snapshot's consistency check.

import { INVALID_BACKEND_CLUSTER } from '../resources/gateway-route.js';
import { CLUSTER_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE, type TypeUrl } from '../proto/type-urls.js';
import type { Resource } from '../resources/resource.js';

// The few fields of resource bodies this module reads back: which secrets a listener needs, which
// route configuration it names, which clusters a virtual host routes to.
interface ListenerFields {
  /** A gRPC client's listener: its connection manager, without filter chains. */
  api_listener?: { api_listener?: { rds?: { route_config_name?: unknown } } };
  filter_chains?: Array<{
    filters?: Array<{ typed_config?: { rds?: { route_config_name?: unknown } } }>;
    transport_socket?: { typed_config?: { common_tls_context?: { tls_certificate_sds_secret_configs?: Array<{ name: string }> } } };
  }>;
}
interface VirtualHostFields {
  routes?: Array<{ route?: { cluster?: string; weighted_clusters?: { clusters?: Array<{ name: string }> } } }>;
}
interface RouteConfigurationFields {
  virtual_hosts?: VirtualHostFields[];
}
interface ClusterFields {
  type?: string;
  eds_cluster_config?: { service_name?: string };
}
/** SDS secret names a listener's filter chains need. */
export function secretsOf(body: ListenerFields): string[] {
  const names: string[] = [];
  for (const chain of body.filter_chains ?? []) {
    for (const config of chain.transport_socket?.typed_config?.common_tls_context?.tls_certificate_sds_secret_configs ?? []) names.push(config.name);
  }
  return names;
}

// Kept per virtual host body, which translation keeps for an unchanged host: a route configuration of
// a thousand hosts is walked for the one that changed.
const hostClusters = new WeakMap<object, readonly string[]>();
export function clustersOfHost(vhost: VirtualHostFields): readonly string[] {
  let clusters = hostClusters.get(vhost);
  if (!clusters) {
    const found = new Set<string>();
    for (const route of vhost.routes ?? []) {
      if (route.route?.cluster) found.add(route.route.cluster);
      for (const wc of route.route?.weighted_clusters?.clusters ?? []) found.add(wc.name);
    }
    // The share of unresolvable Gateway API backends goes to a cluster that is missing on purpose (500).
    found.delete(INVALID_BACKEND_CLUSTER);
    clusters = [...found];
    hostClusters.set(vhost, clusters);
  }
  return clusters;
}

export function referencesOf(typeUrl: TypeUrl, resource: Resource): string[] {
  switch (typeUrl) {
    case LISTENER_TYPE: {
      const body = resource.body as ListenerFields;
      const names = [body.api_listener?.api_listener?.rds?.route_config_name];
      for (const chain of body.filter_chains ?? []) for (const f of chain.filters ?? []) names.push(f.typed_config?.rds?.route_config_name);
      return names.filter((n): n is string => typeof n === 'string');
    }
    case ROUTE_TYPE:
    case VIRTUAL_HOST_TYPE: {
      if (typeUrl === VIRTUAL_HOST_TYPE) return [...clustersOfHost(resource.body as VirtualHostFields)];
      // In no particular order: every reader takes them as a set, and sorting the 2,000 names of a route
      // configuration of a thousand hosts cost most of a weight flip's encoding.
      const clusters = new Set<string>();
      for (const vhost of (resource.body as RouteConfigurationFields).virtual_hosts ?? []) for (const c of clustersOfHost(vhost)) clusters.add(c);
      return [...clusters];
    }
    case CLUSTER_TYPE: {
      const body = resource.body as ClusterFields;
      return body.type === 'EDS' ? [body.eds_cluster_config?.service_name || resource.name] : [];
    }
    default:
      return [];
  }
}
