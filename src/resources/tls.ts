// HTTPS: listener `ingress_https` with one filter chain per SNI host, each naming its certificate as an
// SDS secret that comes over the same ADS stream (never inlined in the listener), and the Secret
// resources themselves. The routes are the same `ingress_http` route configuration.

import type { SecretModel, TlsHostModel } from '../model/types.js';
import { HTTPS_LISTENER, connectionManager, type ListenerOptions } from './listener.js';
import { ADS_CONFIG_SOURCE, type Resource } from './resource.js';

const TLS_INSPECTOR_TYPE = 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';
export const DOWNSTREAM_TLS_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
/** The TLS inspector reads the SNI so the filter chain (and so the certificate) can be chosen. */
export const TLS_INSPECTOR = { name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': TLS_INSPECTOR_TYPE } };

/** Null when no host is served on HTTPS: Envoy refuses a listener without filter chains. */
export function httpsListener(options: ListenerOptions, hosts: readonly TlsHostModel[]): Resource | null {
  if (hosts.length === 0) return null;
  return {
    name: HTTPS_LISTENER,
    body: {
      name: HTTPS_LISTENER,
      address: { socket_address: { address: options.address, port_value: options.port } },
      listener_filters: [TLS_INSPECTOR],
      filter_chains: hosts.map((h) => ({
        name: h.host,
        filter_chain_match: { server_names: [h.host] },
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: {
            '@type': DOWNSTREAM_TLS_TYPE,
            common_tls_context: {
              tls_certificate_sds_secret_configs: [{ name: h.secret, sds_config: ADS_CONFIG_SOURCE }],
              alpn_protocols: ['h2', 'http/1.1'],
            },
          },
        },
        filters: [connectionManager(HTTPS_LISTENER)],
      })),
    },
  };
}

export function tlsSecret(secret: SecretModel): Resource {
  return {
    name: secret.name,
    body: {
      name: secret.name,
      tls_certificate: {
        certificate_chain: { inline_bytes: Buffer.from(secret.certificateChain) },
        private_key: { inline_bytes: Buffer.from(secret.privateKey) },
      },
    },
  };
}
