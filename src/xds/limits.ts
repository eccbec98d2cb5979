// What one ADS client may hold of the server, each bounded so that its cost is bounded: a client past a
// limit is refused with a gRPC status (RESOURCE_EXHAUSTED) and its stream ends, never served by
// growing. docs/safety.md lists them with the reasons for their sizes.

/** Names one stream may subscribe to per type (an Envoy asks EDS for each of its clusters). */
export const MAX_NAMES_PER_TYPE = 100_000;
/** Listener names a proxyless gRPC client may ask for: one per target it dials. */
export const MAX_GRPC_TARGETS = 1_024;
/** Bytes written to one stream and not yet taken by its client; past it the client is not reading. */
export const MAX_UNSENT_BYTES = 64 * 1024 * 1024;
/** Largest request accepted (a Delta request carrying a million initial versions is refused unread). */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** ADS streams on one HTTP/2 connection (Envoy opens one). */
export const MAX_STREAMS_PER_CONNECTION = 8;
/** ADS streams from one peer address, by default (--max-streams-per-peer). */
export const DEFAULT_MAX_STREAMS_PER_PEER = 256;
/**
 * A stream's requests are each answered at once up to this many in a row; past it, those that arrive
 * within REQUEST_PUMP_INTERVAL_MS are answered together by one pass (a client sending thousands of
 * requests costs one pass over its subscription per interval, not one per request).
 */
export const REQUEST_PUMP_BURST = 100;
export const REQUEST_PUMP_INTERVAL_MS = 20;

/** Why a request goes past a limit, or undefined. */
export function namesOverLimit(kind: 'grpc' | 'envoy', listener: boolean, names: number): string | undefined {
  const limit = kind === 'grpc' && listener ? MAX_GRPC_TARGETS : MAX_NAMES_PER_TYPE;
  return names > limit ? `${names} names subscribed, more than the ${limit} a stream may hold of one type` : undefined;
}
