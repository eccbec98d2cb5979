// A raw HTTP/2 gRPC client for the ADS server: it can stop reading, send requests of any size, and
// reports the gRPC status the server ended its stream with.

import http2 from 'node:http2';
import { decodeDeltaDiscoveryResponse, decodeDiscoveryResponse, encodeDeltaDiscoveryRequest, encodeDiscoveryRequest } from '../../src/xds/messages.js';
import type { DeltaDiscoveryRequest, DiscoveryRequest } from '../../src/xds/protocol.js';
import { DELTA_METHOD_PATH, SOTW_METHOD_PATH } from '../../src/xds/server.js';

/** A raw HTTP/2 gRPC client whose reading can be stopped, as a stuck or malicious proxy would. */
export class RawAdsClient {
  private readonly session: http2.ClientHttp2Session;
  private readonly stream: http2.ClientHttp2Stream;
  private pending = Buffer.alloc(0);
  /** Responses as decoded; `version_info` is the SotW version or the Delta system version. */
  readonly received: Array<{ type_url: string; version_info: string }> = [];
  bytes = 0;
  /** The gRPC status the server ended the stream with, once it has. */
  status: { code: number; details: string } | undefined;

  constructor(
    port: number,
    private readonly protocol: 'sotw' | 'delta' = 'sotw',
    /** An HTTP/2 connection to share with other streams; a new one when absent. */
    session?: http2.ClientHttp2Session,
  ) {
    this.session = session ?? http2.connect(`http://127.0.0.1:${port}`);
    this.session.on('error', () => undefined);
    this.stream = this.session.request({
      ':method': 'POST',
      ':path': protocol === 'sotw' ? SOTW_METHOD_PATH : DELTA_METHOD_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    this.stream.on('error', () => undefined);
    const status = (headers: http2.IncomingHttpHeaders) => {
      if (headers['grpc-status'] !== undefined)
        this.status = { code: Number(headers['grpc-status']), details: decodeURIComponent(String(headers['grpc-message'] ?? '')) };
    };
    this.stream.on('response', status);
    this.stream.on('trailers', status);
    this.stream.on('close', () => (this.status ??= { code: -1, details: `stream closed (${this.stream.rstCode ?? 'no code'})` }));
    this.stream.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      this.pending = Buffer.concat([this.pending, chunk]);
      while (this.pending.length >= 5 && this.pending.length >= 5 + this.pending.readUInt32BE(1)) {
        const length = this.pending.readUInt32BE(1);
        const bytes = this.pending.subarray(5, 5 + length);
        if (protocol === 'sotw') this.received.push(decodeDiscoveryResponse(bytes));
        else {
          const delta = decodeDeltaDiscoveryResponse(bytes);
          this.received.push({ type_url: delta.type_url, version_info: delta.system_version_info });
        }
        this.pending = this.pending.subarray(5 + length);
      }
    });
  }

  send(request: Partial<DiscoveryRequest> | Partial<DeltaDiscoveryRequest>): void {
    const body = Buffer.from(
      this.protocol === 'sotw'
        ? encodeDiscoveryRequest(request as Partial<DiscoveryRequest>)
        : encodeDeltaDiscoveryRequest(request as Partial<DeltaDiscoveryRequest>),
    );
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    this.stream.write(frame);
  }

  stopReading(): void {
    this.stream.pause();
  }

  resumeReading(): void {
    this.stream.resume();
  }

  close(): void {
    this.stream.close();
    this.session.close();
  }
}
