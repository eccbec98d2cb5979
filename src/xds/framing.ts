// Response bodies framed once for every stream. The streams share their resource sets: a SotW stream
// sends the map it should hold (the snapshot's own, or one shared by the streams with that
// subscription), a Delta stream the difference that streams in step share. The same set at the same
// version is the same response, encoded once with its nonce: a fan-out to a thousand streams writes one
// buffer a thousand times.

import { encodeDeltaResponseBody, encodeResponseBody, withNonce } from './messages.js';
import type { DeltaDiscoveryResponse, DiscoveryResponse } from './protocol.js';

/** A response body with its nonce, as written to every stream sent it. */
export interface Framed {
  bytes: Buffer;
  nonce: string;
}

export class ResponseFramer {
  /** Per resource set (weak: a set no stream holds any more is forgotten), per type and version. */
  private readonly framed = new WeakMap<object, Map<string, Framed>>();
  private nonces = 0;

  sotw(response: DiscoveryResponse): Framed {
    return this.frame(response.resources, `${response.typeUrl}\u0000${response.version}`, () => encodeResponseBody(response));
  }

  delta(response: DeltaDiscoveryResponse): Framed {
    return this.frame(response.resources, `${response.typeUrl}\u0000${response.systemVersion}\u0000${response.removed.join('\u0000')}`, () =>
      encodeDeltaResponseBody(response),
    );
  }

  private frame(identity: object, key: string, encode: () => Buffer): Framed {
    let byKey = this.framed.get(identity);
    if (!byKey) this.framed.set(identity, (byKey = new Map()));
    let framed = byKey.get(key);
    if (!framed) {
      // A nonce is unique within a stream; sharing one across streams sent the same bytes is safe.
      const nonce = (++this.nonces).toString(36);
      framed = { nonce, bytes: withNonce(encode(), nonce) };
      byKey.set(key, framed);
    }
    return framed;
  }
}
