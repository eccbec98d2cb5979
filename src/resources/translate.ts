// translate: routing model → every xDS resource, grouped by type and sorted by name so the same model
// always gives the same bytes (and so the same versions).

import type { ClusterModel, RoutingModel, VirtualHostModel } from '../model/types.js';
import { edsCluster } from './cluster.js';
import { loadAssignment } from './endpoint.js';
import { httpListener, type ListenerOptions } from './listener.js';
import { byName } from '../order.js';
import { DerivedList, inNameOrder } from './derived-list.js';
import type { Resource, ResourceBody, ResourcesByType } from './resource.js';
import { perHostRouteConfiguration, routeConfiguration, vhdsVirtualHost, virtualHost, type RouteOptions } from './route.js';
import { httpsListener, tlsSecret } from './tls.js';
import { grpcRouteConfiguration } from './grpc.js';
import { gatewayListener, gatewayName } from './gateway-listener.js';
import { pushAll } from '../lists.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE, VIRTUAL_HOST_TYPE } from '../proto/type-urls.js';

export interface TranslateOptions {
  http: ListenerOptions;
  /** Where the HTTPS listener binds, when any host has TLS. */
  https?: ListenerOptions;
  /** The port clients reach HTTPS on, in redirects from HTTP; the HTTPS listener's port by default. */
  httpsRedirectPort?: number;
}

// The model keeps the identity of an unchanged cluster; so does its translation, and the encoder then
// skips it without comparing contents. Translation stays a function of the model: the same input gives
// equal output, kept rather than made again.
const clusters = new WeakMap<ClusterModel, Resource>();
const assignments = new WeakMap<ClusterModel, Resource>();
function once(memo: WeakMap<ClusterModel, Resource>, cluster: ClusterModel, make: (c: ClusterModel) => Resource): Resource {
  let resource = memo.get(cluster);
  if (!resource) memo.set(cluster, (resource = make(cluster)));
  return resource;
}

// The same for virtual hosts: the model keeps the identity of an unchanged host (model/identity.ts),
// and its two forms (inside the whole route configuration, and alone for VHDS) are kept with it.
interface HostForms {
  redirectPort: number | undefined;
  listenerPort: number | undefined;
  body: ResourceBody;
  vhds: Resource;
}
const hostForms = new WeakMap<VirtualHostModel, HostForms>();
function formsOf(vhost: VirtualHostModel, options: RouteOptions): HostForms {
  let forms = hostForms.get(vhost);
  if (!forms || forms.redirectPort !== options.httpsRedirectPort || forms.listenerPort !== options.listener?.port) {
    const body = virtualHost(vhost, options);
    forms = { redirectPort: options.httpsRedirectPort, listenerPort: options.listener?.port, body, vhds: vhdsVirtualHost(vhost, options, undefined, body) };
    hostForms.set(vhost, forms);
  }
  return forms;
}

// And the gRPC form of a host, kept with the host too: an unchanged host is not encoded again.
const grpcForms = new WeakMap<VirtualHostModel, Resource>();
function grpcFormOf(vhost: VirtualHostModel): Resource {
  let form = grpcForms.get(vhost);
  if (!form) grpcForms.set(vhost, (form = grpcRouteConfiguration(vhost)));
  return form;
}

/**
 * The hosts proxyless gRPC clients can reach (`xds:///host` has no port): the Ingress port's, with the
 * Gateway API matches of the same host on other ports added after its own.
 */
function grpcHosts(model: RoutingModel): VirtualHostModel[] {
  if (!model.gatewayPorts?.length) return model.virtualHosts;
  const byHost = new Map(model.virtualHosts.map((v) => [v.host, v]));
  for (const port of model.gatewayPorts) {
    for (const vhost of port.virtualHosts) {
      const known = byHost.get(vhost.host);
      if (!known) byHost.set(vhost.host, vhost);
      else byHost.set(vhost.host, { ...known, gatewayRoutes: [...(known.gatewayRoutes ?? []), ...(vhost.gatewayRoutes ?? [])] });
    }
  }
  return [...byHost.values()];
}

/**
 * What one rebuild loop's translations carry from one to the next: the Ingress port's virtual hosts,
 * clusters and endpoints, mapped place by place (derived-list.ts), so a one-host change makes one
 * host's forms and the encoder is told where they are. Made again when the options change.
 */
export class TranslationMemo {
  private options: TranslateOptions | undefined;
  bodies = new DerivedList<VirtualHostModel, ResourceBody>();
  vhds = new DerivedList<VirtualHostModel, Resource>();
  clusters = new DerivedList<ClusterModel, Resource>();
  assignments = new DerivedList<ClusterModel, Resource>();

  /** The lists for a translation with `options`: the same lists while the options are the same. */
  for(options: TranslateOptions): this {
    if (this.options !== options) {
      this.options = options;
      this.bodies = new DerivedList();
      this.vhds = new DerivedList();
      this.clusters = new DerivedList();
      this.assignments = new DerivedList();
    }
    return this;
  }
}

export function translate(model: RoutingModel, options: TranslateOptions, memo?: TranslationMemo): ResourcesByType {
  const lists = (memo ?? new TranslationMemo()).for(options);
  const https = options.https ? httpsListener(options.https, model.tlsHosts) : null;
  const listeners: Resource[] = [httpListener(options.http)];
  if (https) listeners.push(https);
  // Redirects only when the HTTPS listener exists: never send a client to a port nothing serves.
  const routeOptions: RouteOptions = https ? { httpsRedirectPort: options.httpsRedirectPort ?? options.https!.port } : {};
  routeOptions.listener = { port: options.http.port, scheme: 'http' };
  const bodies = lists.bodies.map(model.virtualHosts, (v) => formsOf(v, routeOptions).body);
  const routes = [routeConfiguration(model.virtualHosts, routeOptions, undefined, undefined, bodies)];
  // The same virtual hosts one by one, for clients that take them by VHDS.
  let vhds: readonly Resource[] = lists.vhds.map(model.virtualHosts, (v) => formsOf(v, routeOptions).vhds);
  const perHostRoutes = [perHostRouteConfiguration()];
  // Gateway listeners on ports of their own: a listener and a route configuration each.
  for (const port of model.gatewayPorts ?? []) {
    const name = gatewayName(port.port);
    const listener = gatewayListener(port, options.http.address);
    // On the Ingress HTTPS port the Gateway's chains join the Ingress listener (one socket, chosen by SNI).
    if (https && port.port === options.https!.port && port.protocol === 'HTTPS')
      pushAll(https.body.filter_chains as ResourceBody[], listener.body.filter_chains as ResourceBody[]);
    else listeners.push(listener);
    const portOptions: RouteOptions = { listener: { port: port.port, scheme: port.protocol === 'HTTPS' ? 'https' : 'http' } };
    routes.push(routeConfiguration(port.virtualHosts, portOptions, name));
    vhds = [...vhds, ...port.virtualHosts.map((v) => vhdsVirtualHost(v, portOptions, name))];
    perHostRoutes.push(perHostRouteConfiguration(name));
  }
  const gatewaySecrets = (model.gatewayPorts ?? []).some((p) => p.protocol === 'HTTPS');
  return {
    [LISTENER_TYPE]: listeners.sort(byName),
    [ROUTE_TYPE]: routes.sort(byName),
    // Made from the model's hosts and clusters, which are in name order already: checked, not sorted.
    [VIRTUAL_HOST_TYPE]: inNameOrder(vhds) as Resource[],
    perHostRoutes: perHostRoutes.sort(byName),
    grpcRoutes: () => grpcHosts(model).map(grpcFormOf).sort(byName),
    [CLUSTER_TYPE]: inNameOrder(lists.clusters.map(model.clusters, (c) => once(clusters, c, edsCluster))) as Resource[],
    [ENDPOINT_TYPE]: inNameOrder(lists.assignments.map(model.clusters, (c) => once(assignments, c, loadAssignment))) as Resource[],
    // Only certificates a listener uses are sent: Envoy asks for them by name.
    [SECRET_TYPE]: https || gatewaySecrets ? model.secrets.map(tlsSecret).sort(byName) : [],
  };
}
