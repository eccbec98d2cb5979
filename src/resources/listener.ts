// Listener `ingress_http`: one HTTP connection manager whose routes come by RDS over ADS.

import { ADS_CONFIG_SOURCE, type Resource, type ResourceBody } from './resource.js';

export const HTTP_LISTENER = 'ingress_http';
export const HTTPS_LISTENER = 'ingress_https';
export const HTTP_ROUTE_CONFIG = 'ingress_http';

export const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** The router, which must be the last HTTP filter of a connection manager (Envoy's and gRPC's). */
export const ROUTER_FILTER: ResourceBody = { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } };

export interface ListenerOptions {
  /** Address Envoy binds; the control plane decides the port, Envoy does not. */
  address: string;
  port: number;
}

export function httpListener(options: ListenerOptions): Resource {
  return {
    name: HTTP_LISTENER,
    body: {
      name: HTTP_LISTENER,
      address: { socket_address: { address: options.address, port_value: options.port } },
      filter_chains: [{ filters: [connectionManager(HTTP_LISTENER)] }],
    },
  };
}

/** The HTTP connection manager both listeners run; routes come by RDS over ADS. */
export function connectionManager(statPrefix: string): ResourceBody {
  return connectionManagerFor(statPrefix, HTTP_ROUTE_CONFIG);
}

/** The same connection manager, taking its routes from route configuration `routeConfig`. */
export function connectionManagerFor(statPrefix: string, routeConfig: string): ResourceBody {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': HCM_TYPE,
      stat_prefix: statPrefix,
      codec_type: 'AUTO',
      rds: { route_config_name: routeConfig, config_source: ADS_CONFIG_SOURCE },
      // Host headers carry the port (`mini-echo.io:8080`); Ingress hosts never do.
      strip_any_host_port: true,
      normalize_path: { value: true },
      merge_slashes: true,
      // The router must be the last HTTP filter.
      http_filters: [ROUTER_FILTER],
    },
  };
}
