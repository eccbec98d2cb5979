// DiscoveryRequest decoding and DiscoveryResponse encoding. Responses are written by hand around the
// Any bytes the snapshot already holds, so a push to many streams never re-encodes a resource.

import protobuf from 'protobufjs';
import { messageType } from '../proto/registry.js';
import type { DiscoveryRequest, DiscoveryResponse } from './sotw.js';

export const CONTROL_PLANE_ID = 'splitplane';

let requestType: protobuf.Type | undefined;

export function decodeDiscoveryRequest(bytes: Uint8Array): DiscoveryRequest {
  requestType ??= messageType('envoy.service.discovery.v3.DiscoveryRequest');
  const message = requestType.decode(bytes);
  return requestType.toObject(message, { defaults: true, arrays: true, longs: String, enums: String, json: true }) as DiscoveryRequest;
}

export function encodeDiscoveryRequest(request: Partial<DiscoveryRequest>): Uint8Array {
  requestType ??= messageType('envoy.service.discovery.v3.DiscoveryRequest');
  return requestType.encode(requestType.fromObject(request)).finish();
}

// DiscoveryResponse field numbers: version_info 1, resources 2, type_url 4, nonce 5, control_plane 6.
export function encodeDiscoveryResponse(response: DiscoveryResponse): Buffer {
  const writer = protobuf.Writer.create();
  writer.uint32((1 << 3) | 2).string(response.version);
  for (const resource of response.resources) writer.uint32((2 << 3) | 2).bytes(resource.any);
  writer.uint32((4 << 3) | 2).string(response.typeUrl);
  writer.uint32((5 << 3) | 2).string(response.nonce);
  writer.uint32((6 << 3) | 2).fork().uint32((1 << 3) | 2).string(CONTROL_PLANE_ID).ldelim();
  return Buffer.from(writer.finish());
}

export interface DecodedResponse {
  version_info: string;
  type_url: string;
  nonce: string;
  resources: Array<Record<string, any>>;
}

/** For clients and tests: a response with every resource unpacked to JSON. */
export function decodeDiscoveryResponse(bytes: Uint8Array): DecodedResponse {
  const type = messageType('envoy.service.discovery.v3.DiscoveryResponse');
  return type.toObject(type.decode(bytes), { json: true, arrays: true, defaults: true, enums: String, longs: String }) as DecodedResponse;
}
