// An in-process load reporting (LRS) client over real gRPC: reports whatever a test says, as Envoy
// would, or as a hostile client might.

import * as grpc from '@grpc/grpc-js';
import { decodeLoadReportingAnswer, encodeLoadReport, type ClusterLoad } from '../../src/traffic/lrs-messages.js';
import { LRS_METHOD_PATH } from '../../src/traffic/load-reporting.js';
import { waitFor } from '../../src/local/wait.js';

export class LrsClient {
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;
  /** The interval the server asked for (ms), once it answered. */
  intervalMs: number | undefined;
  error: grpc.ServiceError | undefined;

  constructor(
    port: number,
    readonly nodeId: string,
    withNode = true,
  ) {
    this.client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    this.call = this.client.makeBidiStreamRequest(
      LRS_METHOD_PATH,
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    this.call.on('data', (b: Buffer) => (this.intervalMs = decodeLoadReportingAnswer(b).intervalMs));
    this.call.on('error', (e: grpc.ServiceError) => (this.error = e));
    this.call.write(encodeLoadReport(withNode ? { nodeId, clusters: [] } : { clusters: [] }));
  }

  async ready(): Promise<void> {
    await waitFor('the LRS answer', () => this.intervalMs !== undefined || this.error !== undefined, 10_000);
  }

  report(clusters: Array<Partial<ClusterLoad> & { cluster: string }>): void {
    this.call.write(encodeLoadReport({ nodeId: this.nodeId, clusters }));
  }

  close(): void {
    this.call.end();
    this.client.close();
  }
}
