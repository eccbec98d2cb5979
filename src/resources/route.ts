// RouteConfiguration `ingress_http`: a virtual host per Ingress host, routes in Ingress precedence
// order, and each split group as `weighted_clusters` in basis points.

import type { PathType, SplitGroup, VirtualHostModel } from '../model/types.js';
import { HTTP_ROUTE_CONFIG } from './listener.js';
import type { Resource, ResourceBody } from './resource.js';

export function routeConfiguration(virtualHosts: readonly VirtualHostModel[]): Resource {
  return {
    name: HTTP_ROUTE_CONFIG,
    body: {
      name: HTTP_ROUTE_CONFIG,
      virtual_hosts: virtualHosts.map(virtualHost),
      // Routes name clusters that CDS delivers on the same stream; Envoy must not reject the route
      // config while a new cluster is still warming.
      validate_clusters: { value: false },
    },
  };
}

export function virtualHost(vhost: VirtualHostModel): ResourceBody {
  const routes = orderGroups(vhost.groups).map(route);
  if (vhost.defaultBackend) routes.push(route({ ...vhost.defaultBackend, path: '/', pathType: 'Prefix' }));
  return { name: vhost.host, domains: [vhost.host], routes };
}

/** Exact before Prefix at equal length, longer paths first, then manifest order (a stable sort). */
export function orderGroups(groups: readonly SplitGroup[]): SplitGroup[] {
  const rank = (t: PathType) => (t === 'Exact' ? 0 : 1);
  return [...groups].sort((a, b) => b.path.length - a.path.length || rank(a.pathType) - rank(b.pathType));
}

export function routeMatch(path: string, pathType: PathType): ResourceBody {
  if (pathType === 'Exact') return { path };
  if (pathType === 'ImplementationSpecific') return { prefix: path };
  // Prefix matches element-wise: /foo matches /foo and /foo/bar, not /foobar. Envoy's
  // path_separated_prefix refuses "/" and a trailing "/", which mean the same thing without it.
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? { prefix: '/' } : { path_separated_prefix: trimmed };
}

function route(group: SplitGroup): ResourceBody {
  const name = `${group.source.namespace}/${group.source.name}:${group.host}:${group.pathType}:${group.path}`;
  const match = routeMatch(group.path, group.pathType);
  const live = group.versions.filter((v) => v.cluster !== null && v.basisPoints > 0);
  if (live.length === 0) {
    return { name, match, direct_response: { status: 503, body: { inline_string: 'no backend of this route can be resolved\n' } } };
  }
  if (live.length === 1) return { name, match, route: { cluster: live[0].cluster } };
  return {
    name,
    match,
    route: { weighted_clusters: { clusters: live.map((v) => ({ name: v.cluster, weight: { value: v.basisPoints } })) } },
  };
}
