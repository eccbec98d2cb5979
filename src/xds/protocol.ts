// The vocabulary of the xDS protocol that both stream variants share (State of the World and Delta):
// what a request holds, what a response is made of, and what a stream tells the server.
// A leaf of src/xds/: the server, the streams and the message codecs import it, it imports none of them.

import type { EncodedResource } from '../snapshot/snapshot.js';
import type { TypeUrl } from '../proto/type-urls.js';

/** Characters of a NACK's error text kept. */
export const NACK_TEXT_LIMIT = 1024;

export interface XdsNode {
  id?: string;
  cluster?: string;
  [k: string]: unknown;
}

export interface ErrorDetail {
  code?: number;
  message?: string;
}

export interface DiscoveryRequest {
  version_info: string;
  node?: XdsNode;
  resource_names: string[];
  type_url: string;
  response_nonce: string;
  error_detail?: ErrorDetail | null;
}

/** A SotW response before its nonce: everything the stream should hold of the type. */
export interface DiscoveryResponse {
  version: string;
  typeUrl: TypeUrl;
  resources: ReadonlyMap<string, EncodedResource>;
}

export interface DeltaDiscoveryRequest {
  node?: XdsNode;
  type_url: string;
  resource_names_subscribe: string[];
  resource_names_unsubscribe: string[];
  /** Resources a reconnecting client already holds, name → version. */
  initial_resource_versions: Record<string, string>;
  response_nonce: string;
  error_detail?: ErrorDetail | null;
}

export interface DeltaDiscoveryResponse {
  /** The type's version this response brings the client to; Delta clients do not echo it. */
  systemVersion: string;
  typeUrl: TypeUrl;
  /** Added or changed resources, each with its own version. */
  resources: readonly EncodedResource[];
  /** Names the client holds that are gone. */
  removed: readonly string[];
}

/** Whether a reply carries an error: a NACK. */
export function isNack(detail: ErrorDetail | null | undefined): detail is ErrorDetail {
  return !!detail && (!!detail.message || !!detail.code);
}

/** What a stream tells the outside world; the server turns it into logs and metrics. */
export interface StreamEvents<Response> {
  /**
   * Writes a response; returns its nonce. The server chooses it: streams sent the same bytes share
   * one body, nonce included, so a fan-out copies nothing per stream.
   */
  send(response: Response): string;
  ack(typeUrl: TypeUrl, version: string): void;
  /** A NACK of `version`; `running` is the version the client still runs (its last ACK), if any. */
  nack(typeUrl: TypeUrl, version: string, message: string, running: string | undefined): void;
  /** False while a response of this type is still being written: the next one waits, then sends the latest. */
  canSend(typeUrl: TypeUrl): boolean;
  staleNonce(typeUrl: TypeUrl, nonce: string): void;
  unknownType(typeUrl: string): void;
  /** Whether this client may be sent resources of the type (TLS secrets go only to trusted clients). */
  mayServe(typeUrl: TypeUrl): boolean;
  refused(typeUrl: TypeUrl): void;
  /** The client went past a limit (limits.ts): the stream is ended with RESOURCE_EXHAUSTED. */
  exceeded(why: string): void;
  /**
   * Asks for the stream to be pumped after a request; the server coalesces a burst of requests into
   * one pump and bounds how often a stream is pumped. Without it the stream pumps at once.
   */
  schedule?(): void;
}
