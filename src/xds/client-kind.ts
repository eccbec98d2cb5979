// Which kind of xDS client a node is: an Envoy, or a proxyless gRPC client (a gRPC library that
// resolves `xds:///HOST` targets itself). The two take different listeners and route configurations.

import type { XdsNode } from './protocol.js';

export type ClientKind = 'envoy' | 'grpc';

const CLIENT_METADATA = 'splitplane.io/client';

/** gRPC's proxyless clients name themselves `gRPC …`; node metadata `splitplane.io/client` overrides. */
export function clientKind(node: XdsNode | undefined): ClientKind {
  const declared = metadataString(node, CLIENT_METADATA);
  if (declared === 'grpc' || declared === 'envoy') return declared;
  return typeof node?.user_agent_name === 'string' && node.user_agent_name.startsWith('gRPC') ? 'grpc' : 'envoy';
}

// Node metadata is a google.protobuf.Struct: as proto JSON a plain object, as protobufjs decodes it
// `{ fields: { key: { string_value } } }`. Both are read.
function metadataString(node: XdsNode | undefined, key: string): string | undefined {
  const metadata = node?.metadata as { fields?: Record<string, { string_value?: unknown; stringValue?: unknown }>; [k: string]: unknown } | undefined;
  const field = metadata?.fields?.[key];
  const value = field ? (field.string_value ?? field.stringValue) : metadata?.[key];
  return typeof value === 'string' ? value : undefined;
}
