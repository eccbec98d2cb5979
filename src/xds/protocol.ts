// The vocabulary of the xDS protocol that every stream variant shares (State of the World today; Delta
// to come): what a request holds, what a response is made of, and what a stream tells the server.
// A leaf of src/xds/: the server, the streams and the message codecs import it, it imports none of them.

import type { EncodedResource } from '../snapshot/snapshot.js';
import type { TypeUrl } from '../resources/type-urls.js';

/** Characters of a NACK's error text kept. */
export const NACK_TEXT_LIMIT = 1024;

export interface DiscoveryRequest {
  version_info: string;
  node?: { id?: string; cluster?: string; [k: string]: unknown };
  resource_names: string[];
  type_url: string;
  response_nonce: string;
  error_detail?: { code?: number; message?: string } | null;
}

export interface DiscoveryResponse {
  version: string;
  typeUrl: TypeUrl;
  nonce: string;
  resources: EncodedResource[];
}

/** What a stream tells the outside world; the server turns it into logs and metrics. */
export interface StreamEvents {
  send(response: DiscoveryResponse): void;
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
}

