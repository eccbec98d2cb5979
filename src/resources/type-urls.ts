// Type URLs of the resources we serve, each paired with its message type, and the order in which a
// change is pushed to Envoy (make-before-break: clusters and endpoints before the routes that use them;
// certificates before the listeners whose filter chains need them, which Envoy keeps warming till then).

export const LISTENER_TYPE = 'type.googleapis.com/envoy.config.listener.v3.Listener' as const;
export const ROUTE_TYPE = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration' as const;
export const CLUSTER_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster' as const;
export const ENDPOINT_TYPE = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment' as const;
export const SECRET_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret' as const;

export type TypeUrl = typeof LISTENER_TYPE | typeof ROUTE_TYPE | typeof CLUSTER_TYPE | typeof ENDPOINT_TYPE | typeof SECRET_TYPE;

export const PUSH_ORDER: readonly TypeUrl[] = [CLUSTER_TYPE, ENDPOINT_TYPE, SECRET_TYPE, LISTENER_TYPE, ROUTE_TYPE];

/** Short names used in logs, metrics labels and the admin page. */
export const SHORT_NAME: Readonly<Record<TypeUrl, string>> = {
  [LISTENER_TYPE]: 'LDS',
  [ROUTE_TYPE]: 'RDS',
  [CLUSTER_TYPE]: 'CDS',
  [ENDPOINT_TYPE]: 'EDS',
  [SECRET_TYPE]: 'SDS',
};

export function messageName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

export function isTypeUrl(value: string): value is TypeUrl {
  return value in SHORT_NAME;
}

/** LDS and CDS are state-of-the-world for the whole type; RDS and EDS are fetched by name. */
export function isWildcardCapable(typeUrl: TypeUrl): boolean {
  return typeUrl === LISTENER_TYPE || typeUrl === CLUSTER_TYPE;
}
