// A Gateway listener port → Envoy listener `gateway_<port>` and route configuration `gateway_<port>`.
// HTTP: one connection manager. HTTPS: one filter chain per listener hostname, picked by SNI (a listener
// without hostname is the chain without server_names, which Envoy uses when no other matches), each with
// its certificates by SDS; all chains share the port's routes.

import type { GatewayPortModel } from '../model/types.js';
import { connectionManagerFor } from './listener.js';
import { ADS_CONFIG_SOURCE, type Resource, type ResourceBody } from './resource.js';
import { DOWNSTREAM_TLS_TYPE, TLS_INSPECTOR } from './tls.js';

export function gatewayName(port: number): string {
  return `gateway_${port}`;
}

export function gatewayListener(port: GatewayPortModel, address: string): Resource {
  const name = gatewayName(port.port);
  const manager = connectionManagerFor(name, name);
  const body: ResourceBody = { name, address: { socket_address: { address, port_value: port.port } } };
  if (port.protocol === 'HTTP') body.filter_chains = [{ filters: [manager] }];
  else {
    body.listener_filters = [TLS_INSPECTOR];
    body.filter_chains = (port.tls ?? []).map((chain) => {
      const out: ResourceBody = {
        name: chain.hostname,
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: {
            '@type': DOWNSTREAM_TLS_TYPE,
            common_tls_context: {
              tls_certificate_sds_secret_configs: chain.secrets.map((secret) => ({ name: secret, sds_config: ADS_CONFIG_SOURCE })),
              alpn_protocols: ['h2', 'http/1.1'],
            },
          },
        },
        filters: [manager],
      };
      if (chain.hostname !== '*') out.filter_chain_match = { server_names: [chain.hostname] };
      return out;
    });
  }
  return { name, body };
}
