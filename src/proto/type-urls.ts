// Type URLs of the resources we serve, each paired with its message type, and the order in which a
// change is pushed to Envoy (make-before-break: clusters and endpoints before the routes that use them;
// certificates before the listeners whose filter chains need them, which Envoy keeps warming till then).

export const LISTENER_TYPE = 'type.googleapis.com/envoy.config.listener.v3.Listener' as const;
export const ROUTE_TYPE = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration' as const;
export const CLUSTER_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster' as const;
export const ENDPOINT_TYPE = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment' as const;
export const SECRET_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret' as const;
/** VHDS: one virtual host per resource, named `<route configuration>/<host>`; Delta xDS only. */
export const VIRTUAL_HOST_TYPE = 'type.googleapis.com/envoy.config.route.v3.VirtualHost' as const;

export type TypeUrl = typeof LISTENER_TYPE | typeof ROUTE_TYPE | typeof CLUSTER_TYPE | typeof ENDPOINT_TYPE | typeof SECRET_TYPE | typeof VIRTUAL_HOST_TYPE;

// Virtual hosts come last: like route configurations they name clusters, and they belong to a route
// configuration that must exist first.
export const PUSH_ORDER: readonly TypeUrl[] = [CLUSTER_TYPE, ENDPOINT_TYPE, SECRET_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE];

/** Short names used in logs, metrics labels and the admin page. */
export const SHORT_NAME: Readonly<Record<TypeUrl, string>> = {
  [LISTENER_TYPE]: 'LDS',
  [ROUTE_TYPE]: 'RDS',
  [CLUSTER_TYPE]: 'CDS',
  [ENDPOINT_TYPE]: 'EDS',
  [SECRET_TYPE]: 'SDS',
  [VIRTUAL_HOST_TYPE]: 'VHDS',
};

export function messageName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

export function isTypeUrl(value: string): value is TypeUrl {
  return value in SHORT_NAME;
}

/**
 * LDS and CDS are state-of-the-world for the whole type; RDS and EDS are fetched by name. VHDS too:
 * Envoy's VHDS over ADS opens with an empty subscription and expects every virtual host of its route
 * configurations, which it picks out by their names' namespace.
 */
export function isWildcardCapable(typeUrl: TypeUrl): boolean {
  return typeUrl === LISTENER_TYPE || typeUrl === CLUSTER_TYPE || typeUrl === VIRTUAL_HOST_TYPE;
}

/**
 * VHDS names are `<route configuration>/<host>`, and a client subscribes to the route configuration's
 * name to get all of them (Envoy's namespace matching). The namespace of a VHDS name, else undefined.
 */
export function vhdsNamespace(name: string): string | undefined {
  const slash = name.indexOf('/');
  return slash > 0 ? name.slice(0, slash) : undefined;
}
