// DiscoveryRequest decoding and DiscoveryResponse encoding. Responses are written by hand around the
// Any bytes the snapshot already holds, so a push to many streams never re-encodes a resource.

import protobuf from 'protobufjs';
import { messageType } from '../proto/registry.js';
import type { EncodedResource } from '../snapshot/snapshot.js';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, DiscoveryRequest, DiscoveryResponse } from './protocol.js';

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
// Protobuf readers accept fields in any order, so the nonce (field 5) is appended to a body made once.
export function encodeResponseBody(response: DiscoveryResponse): Buffer {
  const writer = protobuf.Writer.create();
  writer.uint32((1 << 3) | 2).string(response.version);
  for (const resource of response.resources.values()) writer.uint32((2 << 3) | 2).bytes(resource.any);
  writer.uint32((4 << 3) | 2).string(response.typeUrl);
  writer
    .uint32((6 << 3) | 2)
    .fork()
    .uint32((1 << 3) | 2)
    .string(CONTROL_PLANE_ID)
    .ldelim();
  return Buffer.from(writer.finish());
}

let deltaRequestType: protobuf.Type | undefined;

let nodeType: protobuf.Type | undefined;
const NODE_JSON = { defaults: true, arrays: true, longs: String, enums: String, json: true };

// A fleet ACKs every response: the common request is a type and a nonce. It is read field by field;
// only the node (first request only) goes through the full conversion to JSON.
export function decodeDeltaDiscoveryRequest(bytes: Uint8Array): DeltaDiscoveryRequest {
  deltaRequestType ??= messageType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
  nodeType ??= messageType('envoy.config.core.v3.Node');
  const m = deltaRequestType.decode(bytes) as unknown as {
    node?: protobuf.Message;
    type_url?: string;
    resource_names_subscribe?: string[];
    resource_names_unsubscribe?: string[];
    initial_resource_versions?: Record<string, string>;
    response_nonce?: string;
    error_detail?: { code?: number; message?: string } | null;
  };
  const request: DeltaDiscoveryRequest = {
    type_url: m.type_url ?? '',
    resource_names_subscribe: [...(m.resource_names_subscribe ?? [])],
    resource_names_unsubscribe: [...(m.resource_names_unsubscribe ?? [])],
    initial_resource_versions: { ...(m.initial_resource_versions ?? {}) },
    response_nonce: m.response_nonce ?? '',
    error_detail: m.error_detail ? { code: m.error_detail.code ?? 0, message: m.error_detail.message ?? '' } : null,
  };
  if (m.node) request.node = nodeType.toObject(m.node, NODE_JSON) as DeltaDiscoveryRequest['node'];
  return request;
}

export function encodeDeltaDiscoveryRequest(request: Partial<DeltaDiscoveryRequest>): Uint8Array {
  deltaRequestType ??= messageType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
  return deltaRequestType.encode(deltaRequestType.fromObject(request)).finish();
}

// A Delta resource is wrapped in a discovery.v3.Resource (name 3, version 1, resource 2). The wrapper
// depends on the resource alone, so it is made once and shared by every response that carries it.
const wrapped = new WeakMap<EncodedResource, Uint8Array>();
function deltaResource(resource: EncodedResource): Uint8Array {
  let bytes = wrapped.get(resource);
  if (!bytes) {
    const writer = protobuf.Writer.create();
    writer.uint32((1 << 3) | 2).string(resource.version);
    writer.uint32((2 << 3) | 2).bytes(resource.any);
    writer.uint32((3 << 3) | 2).string(resource.name);
    bytes = writer.finish();
    wrapped.set(resource, bytes);
  }
  return bytes;
}

// DeltaDiscoveryResponse field numbers: system_version_info 1, resources 2, type_url 4, nonce 5,
// removed_resources 6, control_plane 7. As for SotW, the nonce is appended per stream.
export function encodeDeltaResponseBody(response: DeltaDiscoveryResponse): Buffer {
  const writer = protobuf.Writer.create();
  writer.uint32((1 << 3) | 2).string(response.systemVersion);
  for (const resource of response.resources) writer.uint32((2 << 3) | 2).bytes(deltaResource(resource));
  writer.uint32((4 << 3) | 2).string(response.typeUrl);
  for (const name of response.removed) writer.uint32((6 << 3) | 2).string(name);
  writer
    .uint32((7 << 3) | 2)
    .fork()
    .uint32((1 << 3) | 2)
    .string(CONTROL_PLANE_ID)
    .ldelim();
  return Buffer.from(writer.finish());
}

/** The nonce (field 5 of both response messages) after a shared body. */
export function withNonce(body: Buffer, nonce: string): Buffer {
  const field = protobuf.Writer.create()
    .uint32((5 << 3) | 2)
    .string(nonce)
    .finish();
  return Buffer.concat([body, field]);
}

/**
 * An Envoy message as proto JSON, decoded by name at run time: its shape is the message type's, which
 * TypeScript cannot know here. Readers (tests, the debug view) pick the fields they expect.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: any message type of the Envoy API
export type ProtoJson = Record<string, any>;

export interface DecodedResponse {
  version_info: string;
  type_url: string;
  nonce: string;
  resources: ProtoJson[];
}

export interface DecodedDeltaResponse {
  system_version_info: string;
  type_url: string;
  nonce: string;
  resources: Array<{ name: string; version: string; resource: ProtoJson }>;
  removed_resources: string[];
}

/** For clients and tests: a Delta response with every resource unpacked to JSON. */
export function decodeDeltaDiscoveryResponse(bytes: Uint8Array): DecodedDeltaResponse {
  const type = messageType('envoy.service.discovery.v3.DeltaDiscoveryResponse');
  return type.toObject(type.decode(bytes), { json: true, arrays: true, defaults: true, enums: String, longs: String }) as DecodedDeltaResponse;
}

/** For clients and tests: a response with every resource unpacked to JSON. */
export function decodeDiscoveryResponse(bytes: Uint8Array): DecodedResponse {
  const type = messageType('envoy.service.discovery.v3.DiscoveryResponse');
  return type.toObject(type.decode(bytes), { json: true, arrays: true, defaults: true, enums: String, longs: String }) as DecodedResponse;
}
