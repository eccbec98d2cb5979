// Every split served, whatever wrote it: an Ingress path (a split group) or a Gateway API rule (its
// backendRefs), with the route configuration that carries it. Fleet truth, Events and the dashboard
// read splits through this one list, so an HTTPRoute's weights are "applied to N of M" exactly as an
// Ingress's are.

import type { ObjectRef } from '../objects/diagnostics.js';
import type { Backend, GatewayRule, RoutingModel, SplitGroup, VirtualHostModel } from '../model/types.js';
import { HTTP_ROUTE_CONFIG } from '../resources/listener.js';
import { gatewayName } from '../resources/gateway-listener.js';

export interface SplitView {
  /** `Ingress`, `HTTPRoute` or `GRPCRoute`. */
  kind: string;
  source: ObjectRef;
  /** The host as served: a Gateway port other than the Ingress port is shown with it (`foo.example:9080`). */
  host: string;
  /** The vhost's own name, for the resources that carry it. */
  vhost: string;
  path: string;
  pathType: string;
  backends: readonly Backend[];
  /** Header, cookie and query routes before the split (Ingress dialects). */
  rules: string[];
  /** The route configuration the split is in: `ingress_http` or `gateway_<port>`. */
  routeConfig: string;
  /** The Ingress split group, when it is one. */
  group?: SplitGroup;
  /** The Gateway API rule, when it is one. */
  rule?: GatewayRule;
}

export function splitViews(model: RoutingModel): SplitView[] {
  const out: SplitView[] = [];
  for (const vhost of model.virtualHosts) {
    for (const group of vhost.groups)
      out.push({
        kind: 'Ingress',
        source: group.source,
        host: vhost.host,
        vhost: vhost.host,
        path: group.path,
        pathType: group.pathType,
        backends: group.backends,
        rules: group.rules.map((r) => r.reason),
        routeConfig: HTTP_ROUTE_CONFIG,
        group,
      });
    addRules(out, vhost, HTTP_ROUTE_CONFIG, vhost.host);
  }
  for (const port of model.gatewayPorts ?? [])
    for (const vhost of port.virtualHosts) addRules(out, vhost, gatewayName(port.port), `${vhost.host}:${port.port}`);
  return out;
}

// One view per rule (its matches share its backends), labelled by its first match.
function addRules(out: SplitView[], vhost: VirtualHostModel, routeConfig: string, host: string): void {
  const seen = new Set<GatewayRule>();
  for (const entry of vhost.gatewayRoutes ?? []) {
    if (seen.has(entry.rule)) continue;
    seen.add(entry.rule);
    const matches = (vhost.gatewayRoutes ?? []).filter((e) => e.rule === entry.rule).length;
    const rule = entry.rule;
    out.push({
      kind: rule.source.kind,
      source: rule.source,
      host,
      vhost: vhost.host,
      path: `${entry.match.path.value}${matches > 1 ? ` +${matches - 1}` : ''}`,
      pathType: `${entry.match.path.type}, rule ${rule.name ?? rule.rule}`,
      backends: rule.backends,
      rules: [],
      routeConfig,
      rule,
    });
  }
}

/** "mini-echo.io/ (Prefix): old-nginx 50% / new-nginx 50%": the weights Envoy gets for one split. */
export function splitViewText(view: Pick<SplitView, 'host' | 'path' | 'pathType' | 'backends'>): string {
  const shares = view.backends.map((v) => `${v.service} ${percent(v.basisPoints)}`).join(' / ');
  return `${view.host === '*' ? '' : view.host}${view.path} (${view.pathType}): ${shares}`;
}

function percent(basisPoints: number): string {
  return `${(basisPoints / 100).toFixed(2).replace(/\.?0+$/, '')}%`;
}
