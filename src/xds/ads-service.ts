// The ADS service as grpc-js serves it: both methods bidirectional, requests decoded field by field,
// responses written as bytes made by hand around the snapshot's shared encodings.

import type * as grpc from '@grpc/grpc-js';
import { decodeDeltaDiscoveryRequest, decodeDiscoveryRequest } from './messages.js';

export const ADS_SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
export const SOTW_METHOD_PATH = `/${ADS_SERVICE}/StreamAggregatedResources`;
export const DELTA_METHOD_PATH = `/${ADS_SERVICE}/DeltaAggregatedResources`;

function bidi(path: string, decode: (bytes: Buffer) => unknown): grpc.MethodDefinition<unknown, Buffer> {
  return {
    path,
    requestStream: true,
    responseStream: true,
    requestSerialize: (value: unknown) => value as Buffer,
    requestDeserialize: sharedDecode(decode),
    // Responses are written as bytes made by hand around the snapshot's shared encodings.
    responseSerialize: (value: Buffer) => value,
    responseDeserialize: (bytes: Buffer) => bytes,
  };
}

export const adsDefinition: grpc.ServiceDefinition = {
  StreamAggregatedResources: bidi(SOTW_METHOD_PATH, decodeDiscoveryRequest),
  DeltaAggregatedResources: bidi(DELTA_METHOD_PATH, decodeDeltaDiscoveryRequest),
};

/** Requests at least this large are looked up among the recent ones before they are decoded. */
const SHARED_FROM_BYTES = 4096;
/** Recent large requests kept, with their decoded form. */
const SHARED_RECENT = 16;

/**
 * A fleet sends the same large requests: every Envoy's EDS request names the same 2,000 clusters, in
 * the same order, in the same bytes. A large request equal, byte for byte, to a recent one is given
 * that one's decoded form (frozen: no reader may change it), so a thousand proxies connecting at once
 * cost one decoding of 2,000 names, and the subscriptions made from the same list are made once too
 * (stream-state.ts keeps them by the list's identity). Equality is checked on the bytes themselves.
 */
export function sharedDecode<T>(decode: (bytes: Buffer) => T): (bytes: Buffer) => T {
  const recent: Array<{ bytes: Buffer; decoded: T }> = [];
  return (bytes) => {
    if (bytes.length < SHARED_FROM_BYTES) return decode(bytes);
    for (let i = 0; i < recent.length; i++) {
      const known = recent[i]!;
      if (known.bytes.length !== bytes.length || !known.bytes.equals(bytes)) continue;
      if (i > 0) recent.unshift(recent.splice(i, 1)[0]!);
      return known.decoded;
    }
    const decoded = deepFreeze(decode(bytes));
    recent.unshift({ bytes: Buffer.from(bytes), decoded });
    if (recent.length > SHARED_RECENT) recent.pop();
    return decoded;
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
