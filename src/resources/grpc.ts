// What proxyless gRPC clients get. A gRPC channel for `xds:///mini-echo.io` asks LDS for a listener
// named exactly `mini-echo.io` (the target's authority, port included when the target has one) and
// expects an `api_listener` whose HTTP connection manager takes its routes by RDS. gRPC reads only part
// of Envoy's route API, and refuses a response that uses the rest (a NACK), so its routes are made here
// from the same model rather than reused:
// - no `path_separated_prefix`: a gRPC path is always `/<service>/<method>`, so an Ingress Prefix path
//   `/foo` becomes the prefix `/foo/`, which matches exactly the gRPC paths element-wise `/foo` does;
// - no `direct_response` or `redirect`: a route with no live backend is left out (the request goes on
//   to the next matching route, or fails UNAVAILABLE), and gRPC is never redirected to HTTPS;
// - no query parameters: a gRPC request has none, so a `query(…)` rule cannot match and is left out;
// - no cookies: gRPC keeps none, so the sticky routes are left out and each RPC is split by weight.
// Clusters and endpoints are Envoy's own: EDS over ADS, one locality with its load_balancing_weight.

import type { GatewayRouteEntry, PathType, SplitGroup, VirtualHostModel } from '../model/types.js';
import { gatewayRouteName, splitAction } from './gateway-route.js';
import { HCM_TYPE, ROUTER_FILTER } from './listener.js';
import { ADS_CONFIG_SOURCE, type Resource, type ResourceBody } from './resource.js';
import { forwardAction, groupRouteName, liveBackends, matcher, orderGroups, ruleBackends } from './route.js';
import { pushAll } from '../lists.js';

/** The route configuration gRPC clients of one virtual host take: `grpc/<host>`. */
export function grpcRouteConfigName(host: string): string {
  return `grpc/${host}`;
}

/** The virtual host a gRPC route configuration is for: `grpc/mini-echo.io` → `mini-echo.io`. */
export function hostOfGrpcRouteConfig(name: string): string | undefined {
  return name.startsWith('grpc/') ? name.slice('grpc/'.length) : undefined;
}

/** The listener a gRPC channel asks for by its target's authority, routed by `routeConfig`. */
export function grpcListener(name: string, routeConfig: string): Resource {
  return {
    name,
    body: {
      name,
      api_listener: {
        api_listener: {
          '@type': HCM_TYPE,
          rds: { route_config_name: routeConfig, config_source: ADS_CONFIG_SOURCE },
          http_filters: [ROUTER_FILTER],
        },
      },
    },
  };
}

/**
 * One virtual host's routes for gRPC. The listener already chose the host from the target, so the one
 * virtual host inside matches every authority (`*`): that also takes `mini-echo.io:50051`, which an
 * Ingress host pattern would not.
 */
export function grpcRouteConfiguration(vhost: VirtualHostModel): Resource {
  const name = grpcRouteConfigName(vhost.host);
  // Gateway API matches first, as for Envoy; only their split is served (gRPC runs no filters).
  const routes = (vhost.gatewayRoutes ?? []).flatMap(grpcGatewayRoute);
  pushAll(routes, orderGroups(vhost.groups).flatMap(grpcGroupRoutes));
  if (vhost.defaultBackend) pushAll(routes, grpcGroupRoutes({ ...vhost.defaultBackend, path: '/', pathType: 'Prefix' }));
  return { name, body: { name, virtual_hosts: [{ name: vhost.host, domains: ['*'], routes }] } };
}

/** A path as gRPC matches it (see the top of this file for Prefix). */
export function grpcPathMatch(path: string, pathType: PathType): ResourceBody {
  if (pathType === 'Exact') return { path };
  if (pathType === 'ImplementationSpecific') return { prefix: path };
  const trimmed = path.replace(/\/+$/, '');
  return { prefix: `${trimmed}/` };
}

/**
 * A Gateway API match for gRPC: the path as gRPC matches it, headers, and the rule's split (the share
 * of an unresolvable backend goes to a cluster that does not exist, which gRPC fails UNAVAILABLE, as the
 * GRPCRoute specification asks). A rule that forwards nowhere, or redirects, is left out.
 */
function grpcGatewayRoute(entry: GatewayRouteEntry): ResourceBody[] {
  const { match, rule } = entry;
  if (rule.noBackend || rule.filters.redirect || match.conditions.some((c) => c.kind === 'query')) return [];
  const split = splitAction(rule.backends);
  if (!split) return [];
  const path: ResourceBody =
    match.path.type === 'Exact'
      ? { path: match.path.value }
      : match.path.type === 'RegularExpression'
        ? { safe_regex: { regex: match.path.value } }
        : grpcPathMatch(match.path.value, 'Prefix');
  const headers = match.conditions.map(matcher);
  if (match.method !== undefined) headers.push({ name: ':method', string_match: { exact: match.method } });
  return [{ name: gatewayRouteName(entry), match: headers.length > 0 ? { ...path, headers } : path, route: split }];
}

function grpcGroupRoutes(group: SplitGroup): ResourceBody[] {
  const name = groupRouteName(group);
  const path = grpcPathMatch(group.path, group.pathType);
  const routes: ResourceBody[] = [];
  group.rules.forEach((rule, i) => {
    const live = ruleBackends(group, rule);
    if (live.length === 0 || rule.conditions.some((c) => c.kind === 'query')) return;
    const match: ResourceBody = { ...path };
    if (rule.conditions.length > 0) match.headers = rule.conditions.map(matcher);
    routes.push({ name: `${name}:rule${i}`, match, ...forwardAction(live) });
  });
  const live = liveBackends(group);
  if (live.length > 0) routes.push({ name, match: { ...path }, ...forwardAction(live) });
  return routes;
}
