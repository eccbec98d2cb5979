// An in-process Delta ADS client over real gRPC, for driving the server the way Envoy does over
// Delta xDS. It counts the bytes of every response as they came off the wire.

import * as grpc from '@grpc/grpc-js';
import { decodeDeltaDiscoveryResponse, encodeDeltaDiscoveryRequest, type DecodedDeltaResponse } from '../../src/xds/messages.js';
import type { DeltaDiscoveryRequest } from '../../src/xds/protocol.js';
import { DELTA_METHOD_PATH } from '../../src/xds/server.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../../src/proto/type-urls.js';
import { ResponseQueue } from './response-queue.js';

export type Received = DecodedDeltaResponse & { bytes: number };

export class DeltaAdsClient {
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<Partial<DeltaDiscoveryRequest>, Received>;
  private readonly responses = new ResponseQueue<Received>();
  private first = true;

  constructor(
    port: number,
    readonly nodeId = 'test-delta-node',
  ) {
    this.client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    this.call = this.client.makeBidiStreamRequest(
      DELTA_METHOD_PATH,
      (r: Partial<DeltaDiscoveryRequest>) => Buffer.from(encodeDeltaDiscoveryRequest(r)),
      (b: Buffer) => ({ ...decodeDeltaDiscoveryResponse(b), bytes: b.length }),
    );
    this.call.on('data', (r: Received) => this.responses.push(r));
    this.call.on('error', () => undefined);
    this.call.on('end', () => this.responses.end());
  }

  send(request: Partial<DeltaDiscoveryRequest>): void {
    this.call.write(this.first ? { node: { id: this.nodeId, cluster: 'test' }, ...request } : request);
    this.first = false;
  }

  subscribe(typeUrl: string, names: string[] = [], initial: Record<string, string> = {}): void {
    this.send({ type_url: typeUrl, resource_names_subscribe: names, initial_resource_versions: initial });
  }

  ack(response: Received): void {
    this.send({ type_url: response.type_url, response_nonce: response.nonce });
  }

  /** The next response, optionally of one type (others stay queued); fails after `timeoutMs`. */
  next(typeUrl?: string, timeoutMs = 30_000): Promise<Received> {
    return this.responses.next(typeUrl, timeoutMs);
  }

  /** Responses already received and not taken. */
  pending(): Received[] {
    return this.responses.pending();
  }

  close(): void {
    this.call.end();
    this.client.close();
  }
}

/** Brings a Delta client to the steady state an Envoy with VHDS reaches: every type received and ACKed. */
export async function settle(client: DeltaAdsClient): Promise<Record<'cds' | 'eds' | 'lds' | 'rds' | 'vhds', Received>> {
  client.subscribe(CLUSTER_TYPE);
  const cds = await client.next(CLUSTER_TYPE);
  client.ack(cds);
  client.subscribe(
    ENDPOINT_TYPE,
    cds.resources.map((r) => r.name),
  );
  const eds = await client.next(ENDPOINT_TYPE);
  client.ack(eds);
  client.subscribe(LISTENER_TYPE);
  const lds = await client.next(LISTENER_TYPE);
  client.ack(lds);
  client.subscribe(ROUTE_TYPE, ['ingress_http']);
  const rds = await client.next(ROUTE_TYPE);
  client.ack(rds);
  client.subscribe(VIRTUAL_HOST_TYPE);
  const vhds = await client.next(VIRTUAL_HOST_TYPE);
  client.ack(vhds);
  return { cds, eds, lds, rds, vhds };
}
