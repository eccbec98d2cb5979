// A fleet in one process, without gRPC: the real controller (model → snapshot, NACK rules) and the real
// ADS state machines, wired as the server wires them, with a clock the test moves. Clients are driven
// step by step: a well-behaved Envoy that ACKs everything, and hostile clients that do what a test says.

import { Controller } from '../../src/controller.js';
import type { Timers } from '../../src/debounce.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import type { FleetMember } from '../../src/nack/verdict.js';
import type { KubeObject } from '../../src/objects/kube.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, type TypeUrl } from '../../src/proto/type-urls.js';
import { SnapshotCache } from '../../src/snapshot/cache.js';
import { ObjectStore } from '../../src/store/store.js';
import { DeltaStream } from '../../src/xds/delta.js';
import type { DeltaDiscoveryResponse, DiscoveryResponse, StreamEvents, XdsNode } from '../../src/xds/protocol.js';
import { SotwStream } from '../../src/xds/sotw.js';

/** A clock and timers that move only when told. */
export class ManualClock implements Timers {
  private time = 0;
  private next = 1;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.due.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }
  advance(ms: number): void {
    this.time += ms;
    for (const [id, timer] of [...this.due]) {
      if (timer.at > this.time) continue;
      this.due.delete(id);
      timer.fn();
    }
  }
}

/** A response as a client sees it. */
export interface Received {
  typeUrl: TypeUrl;
  version: string;
  nonce: string;
  names: string[];
}

export class SimClient {
  readonly inbox: Received[] = [];
  /** The last response of each type, answered or not. */
  readonly last = new Map<TypeUrl, Received>();
  private first = true;
  constructor(
    readonly id: number,
    readonly node: XdsNode,
    readonly stream: SotwStream | DeltaStream,
  ) {}

  /** A SotW request: the whole subscription of the type, answering `reply` of the last response (ack or nack). */
  request(typeUrl: TypeUrl, names: string[], reply?: { nack?: string }): void {
    const answered = reply ? this.last.get(typeUrl) : undefined;
    const node = this.first ? this.node : undefined;
    this.first = false;
    if (this.stream instanceof SotwStream) {
      this.stream.onRequest({
        node,
        type_url: typeUrl,
        resource_names: names,
        version_info: answered && !reply?.nack ? answered.version : '',
        response_nonce: answered?.nonce ?? '',
        error_detail: reply?.nack ? { code: 3, message: reply.nack } : null,
      });
    } else {
      const held = new Set(this.stream.types[typeUrl].names);
      this.stream.onRequest({
        node,
        type_url: typeUrl,
        resource_names_subscribe: names.filter((n) => !held.has(n)),
        resource_names_unsubscribe: [...held].filter((n) => !names.includes(n)),
        initial_resource_versions: {},
        response_nonce: answered?.nonce ?? '',
        error_detail: reply?.nack ? { code: 3, message: reply.nack } : null,
      });
    }
  }
}

export class FleetSim {
  readonly clock = new ManualClock();
  readonly store = new ObjectStore();
  readonly cache = new SnapshotCache();
  readonly controller: Controller;
  readonly clients = new Map<number, SimClient>();
  private nextId = 1;

  constructor(objects: KubeObject[]) {
    this.controller = new Controller(
      this.store,
      this.cache,
      {
        ingressClass: 'splitplane',
        translate: { http: { address: '0.0.0.0', port: 8080 } },
        fleet: () => [...this.clients.values()].map(member),
        timers: this.clock,
        holdoffMs: 10,
        maxMs: 50,
      },
      silentLogger,
      new Metrics(),
    );
    this.store.replaceSource('world', objects);
    this.settle();
  }

  /** Replaces the objects of the world (an operator's edit). */
  edit(objects: KubeObject[]): void {
    this.store.replaceSource('world', objects);
    this.controller.changed();
  }

  connect(node: XdsNode, protocol: 'sotw' | 'delta'): SimClient {
    const id = this.nextId++;
    // The stream's events reach its client through the fleet: the client is made after the stream.
    const self = () => this.clients.get(id)!;
    const events = <R>(shape: (r: R) => Omit<Received, 'nonce'>): StreamEvents<R> => ({
      send: (r) => {
        const nonce = `${id}-${Math.random().toString(36).slice(2)}`;
        const received = { ...shape(r), nonce };
        self().inbox.push(received);
        self().last.set(received.typeUrl, received);
        return nonce;
      },
      ack: () => undefined,
      nack: (typeUrl, version, message, running) => {
        const acceptedElsewhere = [...this.clients.values()].filter((c) => c.id !== id && c.stream.types[typeUrl].ackedVersion === version).length;
        const state = self().stream.types[typeUrl];
        this.controller.envoyRejected({
          typeUrl,
          version,
          running,
          message,
          node: String(node.id ?? ''),
          stream: id,
          acceptedElsewhere,
          view: self().stream.routing,
          subscribed: (name) => state.covers(name),
        });
      },
      canSend: () => true,
      staleNonce: () => undefined,
      unknownType: () => undefined,
      mayServe: () => true,
      refused: () => undefined,
      exceeded: () => undefined,
    });
    const current = () => this.cache.current();
    const stream =
      protocol === 'sotw'
        ? new SotwStream(
            current,
            events<DiscoveryResponse>((r) => ({ typeUrl: r.typeUrl, version: r.version, names: [...r.resources.keys()] })),
          )
        : new DeltaStream(
            current,
            events<DeltaDiscoveryResponse>((r) => ({ typeUrl: r.typeUrl, version: r.systemVersion, names: r.resources.map((x) => x.name) })),
          );
    const client = new SimClient(id, node, stream);
    this.clients.set(id, client);
    return client;
  }

  disconnect(client: SimClient): void {
    this.clients.delete(client.id);
  }

  /** Builds what changed and lets every stream send what it should. */
  settle(): void {
    this.controller.flush();
    this.controller.rebuild();
    for (const c of this.clients.values()) c.stream.pump();
  }
}

function member(client: SimClient): FleetMember {
  return {
    id: client.id,
    view: client.stream.routing,
    runs(typeUrl) {
      const state = client.stream.types[typeUrl];
      return state.ackedVersion === undefined ? undefined : { version: state.ackedVersion, resources: state.applied };
    },
  };
}

/**
 * A well-behaved SotW Envoy: asks for clusters, their endpoints, the listener and its routes, and ACKs
 * every response, as Envoy does (CDS first, then EDS for the clusters it got, then LDS and RDS).
 */
export class GoodEnvoy {
  readonly client: SimClient;
  private endpoints: string[] = [];

  constructor(private readonly sim: FleetSim) {
    this.client = sim.connect({ id: 'good-envoy', user_agent_name: 'envoy' }, 'sotw');
    this.client.request(CLUSTER_TYPE, []);
    this.client.request(LISTENER_TYPE, []);
    this.drain();
  }

  /** Answers everything received until nothing more comes. */
  drain(): void {
    for (let rounds = 0; rounds < 1000 && this.client.inbox.length > 0; rounds++) {
      const response = this.client.inbox.shift()!;
      // Each answer is to the latest response of its type: an older one is superseded.
      if (this.client.last.get(response.typeUrl) !== response) continue;
      switch (response.typeUrl) {
        case CLUSTER_TYPE:
          this.client.request(CLUSTER_TYPE, [], {});
          if (response.names.join() !== this.endpoints.join()) {
            this.endpoints = response.names;
            this.client.request(ENDPOINT_TYPE, this.endpoints, this.client.last.has(ENDPOINT_TYPE) ? {} : undefined);
          }
          break;
        case ENDPOINT_TYPE:
          this.client.request(ENDPOINT_TYPE, this.endpoints, {});
          break;
        case LISTENER_TYPE:
          this.client.request(LISTENER_TYPE, [], {});
          this.client.request(ROUTE_TYPE, ['ingress_http'], this.client.last.has(ROUTE_TYPE) ? {} : undefined);
          break;
        default:
          this.client.request(response.typeUrl, response.typeUrl === ROUTE_TYPE ? ['ingress_http'] : response.names, {});
      }
    }
  }
}
