// An in-process ADS client over real gRPC, for driving the server the way Envoy does, step by step.

import * as grpc from '@grpc/grpc-js';
import { decodeDiscoveryResponse, encodeDiscoveryRequest, type DecodedResponse } from '../../src/xds/messages.js';
import type { DiscoveryRequest } from '../../src/xds/protocol.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../src/proto/type-urls.js';
import { SOTW_METHOD_PATH } from '../../src/xds/server.js';
import { ResponseQueue } from './response-queue.js';

export class AdsClient {
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<Partial<DiscoveryRequest>, DecodedResponse>;
  private readonly responses = new ResponseQueue<DecodedResponse>();

  constructor(
    port: number,
    readonly nodeId = 'test-node',
  ) {
    this.client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    this.call = this.client.makeBidiStreamRequest(
      SOTW_METHOD_PATH,
      (r: Partial<DiscoveryRequest>) => Buffer.from(encodeDiscoveryRequest(r)),
      (b: Buffer) => decodeDiscoveryResponse(b),
    );
    this.call.on('data', (r: DecodedResponse) => this.responses.push(r));
    this.call.on('error', () => undefined);
    this.call.on('end', () => this.responses.end());
  }

  private first = true;

  send(request: Partial<DiscoveryRequest>): void {
    const withNode = this.first ? { node: { id: this.nodeId, cluster: 'test' }, ...request } : request;
    this.first = false;
    this.call.write(withNode);
  }

  /** Subscribes to a type (first request of that type: no nonce). */
  subscribe(typeUrl: string, names: string[] = [], version = ''): void {
    this.send({ type_url: typeUrl, resource_names: names, version_info: version, response_nonce: '' });
  }

  ack(response: DecodedResponse, names: string[] = []): void {
    this.send({ type_url: response.type_url, version_info: response.version_info, response_nonce: response.nonce, resource_names: names });
  }

  nack(response: DecodedResponse, previousVersion: string, message: string, names: string[] = []): void {
    this.send({
      type_url: response.type_url,
      version_info: previousVersion,
      response_nonce: response.nonce,
      resource_names: names,
      error_detail: { code: 3, message },
    });
  }

  /** The next response, optionally of one type (others stay queued); fails after `timeoutMs`. */
  next(typeUrl?: string, timeoutMs = 30_000): Promise<DecodedResponse> {
    return this.responses.next(typeUrl, timeoutMs);
  }

  /** Responses already received and not taken. */
  pending(): DecodedResponse[] {
    return this.responses.pending();
  }

  get ended(): boolean {
    return this.responses.ended;
  }

  /** Asserts that nothing (of a type) arrives within `ms`. */
  async nothing(typeUrl?: string, ms = 300): Promise<void> {
    try {
      const r = await this.next(typeUrl, ms);
      throw new Error(`expected no response, got ${r.type_url} version ${r.version_info}`);
    } catch (error) {
      if ((error as Error).message.startsWith('expected no response')) throw error;
    }
  }

  /** Brings the client to the steady state Envoy reaches: everything received and ACKed. */
  async converge(): Promise<Record<'cds' | 'eds' | 'lds' | 'rds', DecodedResponse>> {
    this.subscribe(CLUSTER_TYPE);
    const cds = await this.next(CLUSTER_TYPE);
    this.ack(cds);
    this.subscribe(ENDPOINT_TYPE, names(cds));
    const eds = await this.next(ENDPOINT_TYPE);
    this.ack(eds, names(cds));
    this.subscribe(LISTENER_TYPE);
    const lds = await this.next(LISTENER_TYPE);
    this.ack(lds);
    this.subscribe(ROUTE_TYPE, ['ingress_http']);
    const rds = await this.next(ROUTE_TYPE);
    this.ack(rds, ['ingress_http']);
    return { cds, eds, lds, rds };
  }

  close(): void {
    this.call.end();
    this.client.close();
  }
}

export function names(response: DecodedResponse): string[] {
  return response.resources.map((r) => (r.name ?? r.cluster_name) as string);
}

/** An ADS client that converges, then ACKs every response as it comes, as a healthy Envoy does; stops on close. */
export async function ackingClient(port: number, nodeId: string): Promise<AdsClient> {
  const client = new AdsClient(port, nodeId);
  const { cds, eds } = await client.converge();
  let clusters = names(cds);
  let lastEds = eds;
  void (async () => {
    while (!client.ended) {
      let r: DecodedResponse;
      try {
        r = await client.next(undefined, 600_000);
      } catch {
        return;
      }
      if (r.type_url === CLUSTER_TYPE) {
        // New clusters: ACK them and ask for their endpoints, as Envoy does.
        clusters = names(r);
        client.ack(r);
        client.send({ type_url: ENDPOINT_TYPE, version_info: lastEds.version_info, response_nonce: lastEds.nonce, resource_names: clusters });
        continue;
      }
      if (r.type_url === ENDPOINT_TYPE) lastEds = r;
      client.ack(r, r.type_url === ENDPOINT_TYPE ? clusters : r.type_url === ROUTE_TYPE ? ['ingress_http'] : []);
    }
  })();
  return client;
}
