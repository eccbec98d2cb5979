// The one adapter between splitplane and the Kubernetes API's REST side: requests as plain JSON, with
// @kubernetes/client-node's KubeConfig supplying the server, the TLS material and the credentials (tokens
// are refreshed per request by the KubeConfig). Watches go through client-node's own Watch (informer.ts).
// The KubeConfig hands out a new agent per request, so every request would be a new TLS connection (a
// handshake and the CA parsed again: ~3 ms of CPU each, most of a replica's CPU at rest): the client
// keeps one keep-alive agent instead, made again only when the TLS material changes.
// Plain JSON rather than client-node's typed models: the model reads objects in their wire shape (dates
// as RFC 3339 text, IntOrString as written), the same shape the file source gives it.

import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { pushAll } from '../lists.js';

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/** A non-2xx answer, with the API server's Status message when it sent one. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    message: string,
  ) {
    super(`${status} from the API server for ${path}: ${message}`);
  }
}

/** Page size of lists: the API server answers in chunks with a continue token (as kubectl does). */
const PAGE = 500;
const TIMEOUT_MS = 30_000;

/** Sent once more, on a new connection. */
class RetryOnNewConnection extends Error {
  constructor(override readonly cause: unknown) {
    super('the kept-alive connection was closed');
  }
}

const TLS_OPTIONS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

/** What a connection's TLS is made of, as text (the KubeConfig reads it into new Buffers each time). */
function tlsMaterial(options: https.RequestOptions): string {
  const text = (value: unknown): string =>
    Buffer.isBuffer(value) ? value.toString('latin1') : Array.isArray(value) ? value.map(text).join('\u0001') : String(value);
  return TLS_OPTIONS.map((key) => text(options[key])).join('\u0000');
}

/** The API server closed an idle kept-alive connection as we wrote on it: the request never got there. */
function closedWhileIdle(error: unknown, request: http.ClientRequest): boolean {
  return request.reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET';
}

/**
 * An AbortController whose signal any number of requests listen to: every watch holds a listener for
 * as long as it is open, and Node warns of a leak past ten (a replica watches a dozen kinds).
 */
function unboundedAbort(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

export class KubeClient {
  private pool: { material: string; agent: http.Agent } | undefined;
  /** Aborts what is under way when the client is closed (a stopping replica writes nothing more). */
  private abort = unboundedAbort();

  /**
   * `maxConnections` bounds the requests in flight (the rest wait their turn in the agent): writers of
   * many objects (an Event per split at start, a status per Ingress) must not open thousands of
   * connections at once, and the few requests that must not wait (the leader's Lease) use a client
   * of their own.
   */
  constructor(
    readonly config: KubeConfig,
    private readonly options: { maxConnections?: number } = {},
  ) {}

  /** The kept-alive agent for this TLS material (a rotated client certificate gets a new one). */
  private agentFor(plain: boolean, options: https.RequestOptions): http.Agent {
    const material = plain ? 'http' : tlsMaterial(options);
    if (this.pool?.material === material) return this.pool.agent;
    this.pool?.agent.destroy();
    const common = { keepAlive: true, maxSockets: this.options.maxConnections ?? Infinity };
    if (plain) this.pool = { material, agent: new http.Agent(common) };
    else {
      const tls: https.AgentOptions = {};
      for (const key of TLS_OPTIONS) if (options[key] !== undefined) Object.assign(tls, { [key]: options[key] });
      this.pool = { material, agent: new https.Agent({ ...tls, ...common }) };
    }
    return this.pool.agent;
  }

  /** Ends every request under way or waiting for a connection, and closes the kept-alive connections. */
  close(): void {
    this.abort.abort(new Error('the client was closed'));
    this.abort = unboundedAbort();
    this.pool?.agent.destroy();
    this.pool = undefined;
  }

  server(): string {
    const cluster = this.config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    return cluster.server.replace(/\/+$/, '');
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeResponse<T>> {
    const options: https.RequestOptions = { method, headers: {} };
    await this.config.applyToHTTPSOptions(options);
    const url = new URL(this.server() + path);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: http.OutgoingHttpHeaders = { ...(options.headers as http.OutgoingHttpHeaders), accept: 'application/json' };
    if (payload) {
      headers['content-type'] = contentType;
      headers['content-length'] = payload.length;
    }
    const plain = url.protocol === 'http:';
    const agent = this.agentFor(plain, options);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.send<T>(url, { ...options, agent, method, headers, timeout: TIMEOUT_MS, signal: this.abort.signal }, plain, payload);
      } catch (error) {
        if (attempt > 0 || !(error instanceof RetryOnNewConnection)) throw error instanceof RetryOnNewConnection ? error.cause : error;
      }
    }
  }

  private send<T>(url: URL, options: https.RequestOptions, plain: boolean, payload: Buffer | undefined): Promise<KubeResponse<T>> {
    return new Promise((resolve, reject) => {
      const req = (plain ? http.request : https.request)(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            // not JSON: keep the text for the error message
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from the API server within ${TIMEOUT_MS / 1000} s`)));
      req.on('error', (error) => reject(closedWhileIdle(error, req) ? new RetryOnNewConnection(error) : error));
      req.end(payload);
    });
  }

  /** A request whose answer must be 2xx; anything else throws a KubeApiError. */
  async expect<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const response = await this.request<T>(method, path, body, contentType);
    if (response.status < 200 || response.status > 299) throw new KubeApiError(response.status, path, statusMessage(response.body));
    return response.body;
  }

  /** Every item of a collection, page by page, and the list's resourceVersion to watch from. */
  async list<T>(path: string, query: Record<string, string | undefined> = {}): Promise<ListResult<T>> {
    const items: T[] = [];
    let next: string | undefined;
    let resourceVersion = '';
    do {
      const params = new URLSearchParams({ limit: String(PAGE) });
      for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
      if (next) params.set('continue', next);
      const page = await this.expect<{ items?: T[]; metadata?: { resourceVersion?: string; continue?: string } }>('GET', `${path}?${params}`);
      pushAll(items, page.items ?? []);
      resourceVersion = page.metadata?.resourceVersion ?? '';
      next = page.metadata?.continue || undefined;
    } while (next);
    return { items, resourceVersion };
  }
}

export function statusMessage(body: unknown): string {
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  return typeof body === 'string' && body !== '' ? body.slice(0, 300) : 'no message';
}
