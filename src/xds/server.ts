// The ADS gRPC server: the one place that touches grpc-js. It owns the streams, wires each to the
// snapshot cache, and turns stream events into logs and metrics.

import * as grpc from '@grpc/grpc-js';
import { LogLimiter, TokenBucket, truncate } from '../log-limit.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { SECRET_TYPE, SHORT_NAME, type TypeUrl } from '../proto/type-urls.js';
import type { SnapshotCache } from '../snapshot/cache.js';
import { ResponseFramer, type Framed } from './framing.js';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, DiscoveryRequest, DiscoveryResponse, StreamEvents } from './protocol.js';
import { SotwStream } from './sotw.js';
import { DeltaStream } from './delta.js';
import type { AdsStream } from './ads-stream.js';
import { isLoopbackPeer, peerAddress } from './credentials.js';
import { xdsServerMetrics, type XdsServerMetrics } from './server-metrics.js';
import type { NackReport } from './nack-report.js';

export { peerAddress };
export type { NackReport };
import { adsDefinition } from './ads-service.js';
import { useStructuredGrpcLogs } from './grpc-logs.js';
import {
  DEFAULT_MAX_STREAMS_PER_PEER,
  MAX_REQUEST_BYTES,
  MAX_STREAMS_PER_CONNECTION,
  MAX_UNSENT_BYTES,
  REQUEST_PUMP_BURST,
  REQUEST_PUMP_INTERVAL_MS,
} from './limits.js';

export { ADS_SERVICE, DELTA_METHOD_PATH, SOTW_METHOD_PATH } from './ads-service.js';

/** Either ADS stream, as the server and the admin page see it. */
export type AnyStream = SotwStream | DeltaStream;

export interface StreamInfo {
  id: number;
  peer: string;
  openedAt: string;
  stream: AnyStream;
  /** Bytes written to the stream that the client has not taken yet. */
  unsentBytes(): number;
  /** Ends the stream from our side; the client reconnects. */
  end(): void;
}

/** One labels object per type, shared by every call: the metrics key their series by the object. */
const TYPE_LABELS = Object.fromEntries(Object.entries(SHORT_NAME).map(([t, type]) => [t, Object.freeze({ type })])) as Record<
  TypeUrl,
  Readonly<{ type: string }>
>;

export interface AdsServerOptions {
  onNack?(report: NackReport): void;
  /**
   * Who may receive TLS secrets (SDS, private keys included): every client when the port checks client
   * certificates or the operator said --insecure-xds; otherwise clients on loopback only.
   */
  secretsTo?: 'everyone' | 'loopback';
  /** How a peer is judged to be on loopback; isLoopbackPeer unless a test stands in a remote client. */
  isLoopback?(peer: string): boolean;
  /** ADS streams one peer address may hold open (limits.ts). */
  maxStreamsPerPeer?: number;
  /** ADS streams on one HTTP/2 connection (limits.ts; the benchmark multiplexes its fleet). */
  maxStreamsPerConnection?: number;
  /** Bytes written to a stream and not taken before it is ended (limits.ts; smaller in tests). */
  maxUnsentBytes?: number;
}

const MAX_NODE_LABELS = 500;
/** NACKs a stream may have traced at once before it is held to one a second (docs/safety.md). */
export const NACK_BURST = 10;

export class AdsServer {
  private readonly server: grpc.Server;
  private readonly streams = new Map<number, StreamInfo>();
  /**
   * Moves whenever what a stream holds or asks for may have changed: a stream opened or closed, a
   * request taken, a response sent. Whoever sums the streams up (the fleet report, every second) can
   * tell that nothing moved without looking at a thousand streams.
   */
  revision = 0;
  /** Open streams by client kind, as counted when each stream's kind became known. */
  private readonly kinds = { envoy: 0, grpc: 0 };
  private nextId = 1;
  private readonly count: XdsServerMetrics & { streams(): void };

  private readonly limiter = new LogLimiter();
  /** Stream opened/closed lines: a client opening thousands of streams writes a few lines, and a count. */
  private readonly churnLines = new LogLimiter(50, 1000);
  /** Open streams per peer address. */
  private readonly perPeer = new Map<string, number>();
  /** Open streams per `node@address`, once their first request named the node: whom a load report may come from. */
  private readonly nodes = new Map<string, number>();

  constructor(
    private readonly cache: SnapshotCache,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly options: AdsServerOptions = {},
  ) {
    useStructuredGrpcLogs(log);
    this.server = new grpc.Server({
      // Envoy keeps one long-lived stream; without keepalive a half-dead peer is noticed only on write.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.max_receive_message_length': MAX_REQUEST_BYTES,
      'grpc.max_concurrent_streams': options.maxStreamsPerConnection ?? MAX_STREAMS_PER_CONNECTION,
      'grpc.max_send_message_length': 256 * 1024 * 1024,
    });
    const counters = xdsServerMetrics(metrics);
    // Kept as streams open, learn their kind and close: a count over every stream on each of those would
    // cost a fleet of 1,000 connecting at once a million looks.
    const countStreams = () => {
      counters.streamsGauge(this.streams.size);
      for (const kind of ['envoy', 'grpc'] as const) counters.clientsGauge(this.kinds[kind], { kind });
    };
    this.count = { ...counters, streams: countStreams };
    this.count.streams();
    this.server.addService(adsDefinition, {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, Buffer>) =>
        this.open(
          call,
          (events) => new SotwStream(() => this.cache.current(), events),
          (r: DiscoveryResponse) => this.framer.sotw(r),
        ),
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, Buffer>) =>
        this.open(
          call,
          (events) => new DeltaStream(() => this.cache.current(), events),
          (r: DeltaDiscoveryResponse) => this.framer.delta(r),
        ),
    });
  }

  /** Another service on the xDS port (load reporting): added before listen. */
  addService(definition: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation): void {
    this.server.addService(definition, handlers);
  }

  /** Listens; without `credentials`, in plain text. */
  async listen(host: string, port: number, credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, credentials, (error, bound) => {
        if (error) reject(new Error(`cannot listen for xDS on ${host}:${port}: ${error.message}; choose another --xds-port`));
        else resolve(bound);
      });
    });
  }

  async close(): Promise<void> {
    this.dropStreams();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 1000);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Ends every open stream (clients reconnect); used by tests and on shutdown. */
  dropStreams(): void {
    for (const info of [...this.streams.values()]) info.end();
  }

  list(): StreamInfo[] {
    return [...this.streams.values()];
  }

  /** Whether an ADS stream of this node id is open from this address (load reports are taken only then). */
  hasNode(nodeId: string, address: string): boolean {
    return this.nodes.has(`${nodeId}@${address}`);
  }

  private readonly framer = new ResponseFramer();

  private open<
    Request extends { node?: unknown },
    Response extends { typeUrl: TypeUrl; resources: { size: number } | { length: number } },
    Stream extends AdsStream<Response> & { onRequest(r: Request): void },
  >(call: grpc.ServerDuplexStream<Request, Buffer>, makeStream: (events: StreamEvents<Response>) => Stream, body: (response: Response) => Framed): void {
    const id = this.nextId++;
    // How often the stream is pumped after its requests: a burst, then one every 20 ms (limits.ts).
    const pumpBudget = new TokenBucket(REQUEST_PUMP_BURST, REQUEST_PUMP_INTERVAL_MS);
    // NACKs the stream may have judged: a burst, then one a second. An Envoy refuses each version once;
    // a client sending thousands a second is marked NACKED and counted, and the rest are not traced.
    const nackBudget = new TokenBucket(NACK_BURST, 1000);
    const peer = call.getPeer();
    let log = this.log.child({ stream: id, peer });
    const address = peerAddress(peer);
    const held = this.perPeer.get(address) ?? 0;
    const maxPerPeer = this.options.maxStreamsPerPeer ?? DEFAULT_MAX_STREAMS_PER_PEER;
    if (held >= maxPerPeer) {
      this.count.refusedStreams({ reason: 'streams-per-peer' });
      const line = this.limiter.take(`peer:${address}`);
      if (line.ok) log.warn('xds stream refused: this peer holds too many', { streams: held, limit: maxPerPeer, suppressedSinceLast: line.suppressed });
      call.emit('error', {
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: `${held} ADS streams are open from ${address}, the most one peer may hold (--max-streams-per-peer)`,
      });
      return;
    }
    this.perPeer.set(address, held + 1);
    const churn = (msg: string, fields: Record<string, unknown> = {}) => {
      const line = this.churnLines.take('churn');
      if (line.ok) log.info(msg, line.suppressed > 0 ? { ...fields, linesSuppressedSinceLast: line.suppressed } : fields);
    };
    const typeLabel = (t: TypeUrl) => TYPE_LABELS[t];
    // Lines a client can cause are limited per stream and reason; the next line says what was dropped.
    const limited = (level: 'debug' | 'warn' | 'error', reason: string, msg: string, fields: Record<string, unknown>) => {
      const line = this.limiter.take(`${id}:${reason}`);
      if (line.ok) log[level](msg, line.suppressed > 0 ? { ...fields, suppressedSinceLast: line.suppressed } : fields);
    };
    // One response per type may be in flight: while it is, the type waits, and when it has been written
    // the stream sends the latest state. A client that stops reading holds at most one per type.
    const unsent = new Map<TypeUrl, number>();
    /** When the last response of each type was written, for the push-to-ACK latency. */
    const sentAt = new Map<TypeUrl, number>();
    const stream: Stream = makeStream({
      canSend: (typeUrl) => !unsent.has(typeUrl),
      send: (response) => {
        this.revision++;
        this.count.responses(typeLabel(response.typeUrl));
        const { bytes, nonce } = body(response);
        this.count.bytes(typeLabel(response.typeUrl), bytes.length);
        const first = sentAt.size === 0;
        sentAt.set(response.typeUrl, performance.now());
        // The stream's first request named its node: the client kind is known from the first response on.
        if (first) recount(stream.kind);
        const count = 'size' in response.resources ? response.resources.size : response.resources.length;
        log.debug('xds response', { type: SHORT_NAME[response.typeUrl], nonce, resources: count });
        const pending = info.unsentBytes();
        if (pending > 0 && pending + bytes.length > (this.options.maxUnsentBytes ?? MAX_UNSENT_BYTES)) {
          refuse(`${pending} bytes written and not taken: the client is not reading`);
          return nonce;
        }
        unsent.set(response.typeUrl, bytes.length);
        call.write(bytes, () => {
          unsent.delete(response.typeUrl);
          if (!closed) pump();
        });
        return nonce;
      },
      ack: (typeUrl, version) => {
        this.count.acks(typeLabel(typeUrl));
        const at = sentAt.get(typeUrl);
        if (at !== undefined) this.count.ackLatency((performance.now() - at) / 1000, typeLabel(typeUrl));
        log.debug('xds ack', { type: SHORT_NAME[typeUrl], version });
      },
      nack: (typeUrl, version, message, running) => {
        const node = stream.node?.id ?? '';
        this.count.nacks({ ...typeLabel(typeUrl), node: this.nodeLabel(node) });
        // The stream already shows the refusal (NACKED); past its budget it is not looked into further.
        if (!nackBudget.take().ok) {
          this.count.nacksUnjudged(typeLabel(typeUrl));
          limited('warn', 'nack-flood', 'a client is refusing faster than its NACK budget; its refusals are counted, not traced', {
            type: SHORT_NAME[typeUrl],
          });
          return;
        }
        // Another proxy running this very version says the configuration is fine: this client is odd.
        const acceptedElsewhere = this.list().filter((s) => s.id !== id && s.stream.types[typeUrl].ackedVersion === version).length;
        limited(
          'error',
          `nack:${typeUrl}`,
          acceptedElsewhere > 0
            ? 'a proxy rejected a configuration other proxies accepted (NACK); check that proxy'
            : 'Envoy rejected our configuration (NACK); this is a splitplane bug, please report it with this line',
          {
            type: SHORT_NAME[typeUrl],
            version,
            acceptedElsewhere,
            envoyError: message,
          },
        );
        const state = stream.types[typeUrl];
        this.options.onNack?.({
          typeUrl,
          version,
          running,
          message,
          node,
          stream: id,
          acceptedElsewhere,
          view: stream.routing,
          subscribed: (name) => state.covers(name),
        });
      },
      staleNonce: (typeUrl, nonce) => {
        this.count.stale(typeLabel(typeUrl));
        limited('debug', `stale:${typeUrl}`, 'xds stale nonce ignored', { type: SHORT_NAME[typeUrl], nonce: truncate(nonce, 64) });
      },
      unknownType: (typeUrl) =>
        limited('warn', 'unknown-type', 'xds request for a type splitplane does not serve; ignored', { typeUrl: truncate(typeUrl, 200) }),
      mayServe: (typeUrl) => typeUrl !== SECRET_TYPE || this.options.secretsTo === 'everyone' || (this.options.isLoopback ?? isLoopbackPeer)(peer),
      refused: (typeUrl) =>
        limited(
          'warn',
          `refused:${typeUrl}`,
          'TLS secrets are not sent to this client: it is not on loopback and the xDS port has no TLS with client certificates (--xds-tls-cert, --xds-tls-key, --xds-client-ca; or --insecure-xds)',
          { type: SHORT_NAME[typeUrl] },
        ),
      exceeded: (why) => refuse(why),
      schedule: () => schedule(),
    });
    const info: StreamInfo = {
      id,
      peer,
      openedAt: new Date().toISOString(),
      stream: stream as unknown as AnyStream,
      unsentBytes: () => [...unsent.values()].reduce((a, b) => a + b, 0),
      end: () => undefined,
    };
    this.streams.set(id, info);
    this.revision++;
    // Counted as an Envoy until its first response says otherwise.
    let countedAs: 'envoy' | 'grpc' = 'envoy';
    this.kinds.envoy++;
    const recount = (kind: 'envoy' | 'grpc') => {
      this.kinds[countedAs]--;
      this.kinds[(countedAs = kind)]++;
      this.count.streams();
    };
    this.count.streams();
    // A failure on one stream is a bug of ours; it must end that stream (the client reconnects and
    // starts afresh), never the publish that wakes every other stream.
    const pump = () => {
      try {
        stream.pump();
      } catch (error) {
        log.error('xds stream failed; closing it so the client reconnects', { error: truncate(String(error instanceof Error ? error.stack : error), 1000) });
        call.destroy(error as Error);
        close('internal error');
      }
    };
    const unwatch = this.cache.watch(pump);
    let closed = false;
    let nodeKey: string | undefined;
    const close = (why: string) => {
      if (closed) return;
      closed = true;
      unwatch();
      if (nodeKey !== undefined) {
        const left = (this.nodes.get(nodeKey) ?? 1) - 1;
        if (left > 0) this.nodes.set(nodeKey, left);
        else this.nodes.delete(nodeKey);
      }
      this.streams.delete(id);
      const left = (this.perPeer.get(address) ?? 1) - 1;
      if (left > 0) this.perPeer.set(address, left);
      else this.perPeer.delete(address);
      this.limiter.forget(`${id}:`);
      this.kinds[countedAs]--;
      this.revision++;
      this.count.streams();
      churn('xds stream closed', { why });
    };
    // A client past a limit: its status says which, and the stream ends without waiting for its writes.
    const refuse = (why: string) => {
      if (closed) return;
      this.count.refusedStreams({ reason: 'limit' });
      limited('warn', 'exceeded', 'xds stream ended: the client went past a limit', { why });
      call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: why });
      close(`refused: ${why}`);
      // Its writes may never drain (a client that does not read): the connection's stream is reset.
      setTimeout(() => call.destroy(), 1000).unref();
    };
    // Requests that arrive together are looked at once; a stream is pumped at most at the budget's pace.
    let scheduled = false;
    // Within its budget a request is answered at once, as an Envoy's few requests are; past it (a client
    // sending thousands) the requests that arrive meanwhile are answered together by one later pump.
    const schedule = () => {
      if (scheduled || closed) return;
      if (pumpBudget.take().ok) return pump();
      scheduled = true;
      setTimeout(() => {
        scheduled = false;
        if (!closed) pump();
      }, REQUEST_PUMP_INTERVAL_MS);
    };
    info.end = () => {
      call.end();
      close('closed by server');
    };
    call.on('data', (request: Request) => {
      this.revision++;
      const first = stream.node === undefined;
      try {
        stream.onRequest(request);
      } catch (error) {
        log.error('xds request failed; closing the stream so the client reconnects', { error: truncate(String(error), 500) });
        call.destroy(error as Error);
        close('internal error');
        return;
      }
      if (first && stream.node && !closed) {
        nodeKey = `${String(stream.node.id ?? '')}@${address}`;
        this.nodes.set(nodeKey, (this.nodes.get(nodeKey) ?? 0) + 1);
        log = log.child({ node: truncate(String(stream.node.id ?? ''), 128), cluster: truncate(String(stream.node.cluster ?? ''), 128) });
        churn('xds stream opened');
      }
    });
    call.on('end', () => {
      call.end();
      close('client ended the stream');
    });
    call.on('error', (error) => close(`error: ${error.message}`));
    call.on('cancelled', () => close('cancelled'));
    call.on('close', () => close('closed'));
  }

  // A label per node shows one odd client as such; their number is capped, so clients inventing node
  // ids cannot grow the metrics without bound.
  private readonly nodeLabels = new Set<string>();
  private nodeLabel(node: string): string {
    const label = truncate(node, 128) || '(none)';
    if (this.nodeLabels.has(label)) return label;
    if (this.nodeLabels.size >= MAX_NODE_LABELS) return '(other)';
    this.nodeLabels.add(label);
    return label;
  }
}
