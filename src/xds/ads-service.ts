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
    requestDeserialize: decode,
    // Responses are written as bytes made by hand around the snapshot's shared encodings.
    responseSerialize: (value: Buffer) => value,
    responseDeserialize: (bytes: Buffer) => bytes,
  };
}

export const adsDefinition: grpc.ServiceDefinition = {
  StreamAggregatedResources: bidi(SOTW_METHOD_PATH, decodeDiscoveryRequest),
  DeltaAggregatedResources: bidi(DELTA_METHOD_PATH, decodeDeltaDiscoveryRequest),
};
