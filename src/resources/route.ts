// RouteConfiguration `ingress_http`: a virtual host per Ingress host, routes in Ingress precedence
// order. Each split group becomes, in order: its header/cookie/query rules, its sticky-cookie routes,
// and its weighted route (`weighted_clusters` in basis points).

import type { Condition, PathType, RouteRule, SplitGroup, Backend, VirtualHostModel } from '../model/types.js';
import { HTTP_ROUTE_CONFIG } from './listener.js';
import { ADS_CONFIG_SOURCE, type Resource, type ResourceBody } from './resource.js';
import { pushAll } from '../lists.js';
import { gatewayRoute, type ListenerContext } from './gateway-route.js';

export interface RouteOptions {
  /** The port clients reach HTTPS on, for HTTP → HTTPS redirects; without it nothing redirects. */
  httpsRedirectPort?: number;
  /** The listener the routes serve, for Gateway API redirects (their default port and scheme). */
  listener?: ListenerContext;
}

export function routeConfiguration(
  virtualHosts: readonly VirtualHostModel[],
  options: RouteOptions = {},
  name = HTTP_ROUTE_CONFIG,
  makeVirtualHost: (v: VirtualHostModel, options: RouteOptions) => ResourceBody = virtualHost,
  /** The virtual hosts' bodies, when the caller made them already (resources/translate.ts keeps them). */
  bodies?: readonly ResourceBody[],
): Resource {
  return {
    name,
    body: {
      name,
      virtual_hosts: bodies ?? virtualHosts.map((v) => makeVirtualHost(v, options)),
      // Routes name clusters that CDS delivers on the same stream; Envoy must not reject the route
      // config while a new cluster is still warming.
      validate_clusters: { value: false },
    },
  };
}

/**
 * The same routing, per host: the route configuration carries no virtual host of its own and says
 * that they come by VHDS over the ADS stream (Delta xDS only). Each host is then its own resource,
 * so a weight flip on one host sends that host alone.
 */
export function perHostRouteConfiguration(name = HTTP_ROUTE_CONFIG): Resource {
  return {
    name,
    body: {
      name,
      vhds: { config_source: ADS_CONFIG_SOURCE },
      validate_clusters: { value: false },
    },
  };
}

/** A virtual host as a VHDS resource: named `<route configuration>/<host>`, inside and out. */
export function vhdsVirtualHost(
  vhost: VirtualHostModel,
  options: RouteOptions = {},
  routeConfig = HTTP_ROUTE_CONFIG,
  body: ResourceBody = virtualHost(vhost, options),
): Resource {
  const name = vhdsName(routeConfig, vhost.host);
  return { name, body: { ...body, name } };
}

export function vhdsName(routeConfig: string, host: string): string {
  return `${routeConfig}/${host}`;
}

export function virtualHost(vhost: VirtualHostModel, options: RouteOptions = {}): ResourceBody {
  const authority = authorityMatchers(vhost.authorityRegex);
  // Gateway API matches first, in their own precedence (the model ordered them), then Ingress paths.
  const listener = options.listener ?? { port: 80, scheme: 'http' as const };
  const routes = (vhost.gatewayRoutes ?? []).map((entry) => gatewayRoute(entry, listener));
  pushAll(
    routes,
    orderGroups(vhost.groups).flatMap((g) => groupRoutes(g, authority, options)),
  );
  // The default backend also takes what a wildcard's extra labels keep out of the routes above.
  if (vhost.defaultBackend) pushAll(routes, groupRoutes({ ...vhost.defaultBackend, path: '/', pathType: 'Prefix' }, [], options));
  return { name: vhost.host, domains: [vhost.host], routes };
}

/** Exact before Prefix at equal length, longer paths first, then manifest order (a stable sort; "Envoy resources" in docs/design.md). */
export function orderGroups(groups: readonly SplitGroup[]): SplitGroup[] {
  const rank = (t: PathType) => (t === 'Exact' ? 0 : 1);
  return [...groups].sort((a, b) => matchedLength(b) - matchedLength(a) || rank(a.pathType) - rank(b.pathType));
}

/**
 * How long a path is for precedence: a Prefix path's trailing slashes do not lengthen it (the Ingress
 * spec: `/foo/` and `/foo` are the same prefix), so Exact `/match` comes before Prefix `/match/`.
 */
function matchedLength(group: SplitGroup): number {
  return group.pathType === 'Prefix' ? group.path.replace(/\/+$/, '').length : group.path.length;
}

export function routeMatch(path: string, pathType: PathType): ResourceBody {
  if (pathType === 'Exact') return { path };
  if (pathType === 'ImplementationSpecific') return { prefix: path };
  // Prefix matches element-wise: /foo matches /foo and /foo/bar, not /foobar. Envoy's
  // path_separated_prefix refuses "/" and a trailing "/", which mean the same thing without it.
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? { prefix: '/' } : { path_separated_prefix: trimmed };
}

/** The header matcher a one-label wildcard host adds to each of its routes (the model decides the regex). */
export function authorityMatchers(authorityRegex: string | undefined): ResourceBody[] {
  return authorityRegex === undefined ? [] : [{ name: ':authority', string_match: { safe_regex: { regex: authorityRegex } } }];
}

/** A route's name says where it comes from: `<namespace>/<ingress>:<host>:<pathType>:<path>`. */
export function groupRouteName(group: SplitGroup): string {
  return `${group.source.namespace}/${group.source.name}:${group.host}:${group.pathType}:${group.path}`;
}

/** A backend that takes traffic: resolved, with weight above zero. */
const isLive = (v: Backend) => v.cluster !== null && v.basisPoints > 0;

/** The backends of a group that take traffic. */
export function liveBackends(group: SplitGroup): Backend[] {
  return group.backends.filter(isLive);
}

/** The backends a header, cookie or query rule sends to, with the rule's own weights. */
export function ruleBackends(group: SplitGroup, rule: RouteRule): Backend[] {
  return rule.targets.map((b) => ({ ...group.backends[b.backend]!, basisPoints: b.basisPoints })).filter(isLive);
}

export function groupRoutes(group: SplitGroup, authority: readonly ResourceBody[], options: RouteOptions = {}): ResourceBody[] {
  const name = groupRouteName(group);
  const path = routeMatch(group.path, group.pathType);
  const match = (conditions: readonly Condition[]) => matchWith(path, authority, conditions);
  const routes: ResourceBody[] = [];
  if (group.redirectToHttps && options.httpsRedirectPort !== undefined) {
    // Both listeners share this route configuration; Envoy sets :scheme from the connection, so only
    // plain-HTTP requests match. 308 keeps the method and body, as ingress-nginx's default does.
    routes.push({ name: `${name}:https-redirect`, match: match([PLAIN_HTTP]), redirect: httpsRedirect(options.httpsRedirectPort) });
  }
  pushAll(
    routes,
    group.rules.map((rule, i) => ({ name: `${name}:rule${i}`, match: match(rule.conditions), ...weightedAction(ruleBackends(group, rule)) })),
  );
  const live = liveBackends(group);
  const stuck = group.sticky && group.stickyValues && live.length > 1 ? group.stickyValues : undefined;
  const sticky = stuck && group.sticky;
  let values: Map<Backend, string> | undefined;
  if (stuck) {
    values = new Map(group.backends.map((v, i) => [v, stuck[i]!.value]));
    // A client that carries the cookie of a version still in the split goes back to it.
    for (const v of live) {
      const { value, match: cookie } = stuck[group.backends.indexOf(v)]!;
      routes.push({ name: `${name}:sticky:${value}`, match: match([cookie]), route: { cluster: v.cluster } });
    }
  }
  routes.push({
    name,
    match: match([]),
    ...weightedAction(live, sticky && values ? setCookie(group, sticky.cookie, sticky.maxAgeSeconds, values) : undefined),
  });
  return routes;
}

const PLAIN_HTTP: Condition = { kind: 'header', name: ':scheme', exact: 'http' };

function httpsRedirect(port: number): ResourceBody {
  // Host ports are stripped before routing, so without port_redirect the Location has no port: 443.
  return { https_redirect: true, ...(port === 443 ? {} : { port_redirect: port }), response_code: 'PERMANENT_REDIRECT' };
}

function matchWith(path: ResourceBody, authority: readonly ResourceBody[], conditions: readonly Condition[]): ResourceBody {
  const headers = [...authority, ...conditions.filter((c) => c.kind === 'header').map(matcher)];
  const query = conditions.filter((c) => c.kind === 'query').map(matcher);
  const out: ResourceBody = { ...path };
  if (headers.length > 0) out.headers = headers;
  if (query.length > 0) out.query_parameters = query;
  return out;
}

export function matcher(c: Condition): ResourceBody {
  return { name: c.name, string_match: c.regex !== undefined ? { safe_regex: { regex: c.regex } } : { exact: c.exact ?? '' } };
}

function weightedAction(live: readonly Backend[], cookieFor?: (v: Backend) => string): ResourceBody {
  if (live.length === 0) {
    return { direct_response: { status: 503, body: { inline_string: 'no backend of this route can be resolved\n' } } };
  }
  return forwardAction(live, cookieFor);
}

/** `route`: one cluster, or `weighted_clusters` in basis points; `live` is not empty. */
export function forwardAction(live: readonly Backend[], cookieFor?: (v: Backend) => string): ResourceBody {
  if (live.length === 1) return { route: { cluster: live[0]!.cluster } };
  return {
    route: {
      weighted_clusters: {
        clusters: live.map((v) => {
          const weight: ResourceBody = { name: v.cluster, weight: { value: v.basisPoints } };
          if (cookieFor) weight.response_headers_to_add = [{ header: { key: 'set-cookie', value: cookieFor(v) }, append_action: 'APPEND_IF_EXISTS_OR_ADD' }];
          return weight;
        }),
      },
    },
  };
}

/** The Set-Cookie value naming the version; its Path keeps the cookie to this group's path. */
function setCookie(group: SplitGroup, cookie: string, maxAgeSeconds: number | undefined, values: ReadonlyMap<Backend, string>): (v: Backend) => string {
  const raw = group.pathType === 'Exact' ? group.path : group.path.replace(/\/+$/, '') || '/';
  // A ";" would end the Path attribute and start another; in the cookie it is percent-encoded.
  const path = raw.replace(/;/g, '%3B');
  return (v) => `${cookie}=${values.get(v)}; Path=${path}${maxAgeSeconds === undefined ? '' : `; Max-Age=${maxAgeSeconds}`}; HttpOnly; SameSite=Lax`;
}
