// A resource as translation produces it: its name and its body in protobufjs object form (snake_case
// field names, `@type` inside Any). The snapshot encodes it once.

import type { TypeUrl, VIRTUAL_HOST_TYPE } from '../proto/type-urls.js';

export type ResourceBody = Record<string, unknown>;

export interface Resource {
  name: string;
  body: ResourceBody;
}

export type ResourcesByType = Record<Exclude<TypeUrl, typeof VIRTUAL_HOST_TYPE>, Resource[]> & {
  /** Every virtual host of the route configurations on its own, for VHDS. */
  [VIRTUAL_HOST_TYPE]?: Resource[];
  /**
   * Route configurations as per-host clients (Delta xDS) get them: their virtual hosts come by VHDS.
   * Without it, those clients get the route configurations whole.
   */
  perHostRoutes?: Resource[];
  /**
   * Route configurations for proxyless gRPC clients, one per virtual host (resources/grpc.ts). Made
   * only when a gRPC client asks: an Envoy-only fleet never pays for them.
   */
  grpcRoutes?: () => Resource[];
};

/** ADS as the config source: every dynamic resource comes over the one stream Envoy opened. */
export const ADS_CONFIG_SOURCE = { ads: {}, resource_api_version: 'V3' } as const;
