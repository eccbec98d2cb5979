// An in-process Kubernetes API server for tests: the real list/watch wire protocol over HTTP on
// 127.0.0.1, so the unmodified @kubernetes/client-node runs against it. What it speaks:
// - lists with a resourceVersion, paged with limit/continue, label and field selectors;
// - watches as chunked JSON lines from a resourceVersion (ADDED/MODIFIED/DELETED), BOOKMARK events when
//   asked for, and 410 Gone (an ERROR event, then the end of the stream) for a compacted version;
// - get, create (409 when it exists), update (409 on a stale resourceVersion), merge patch and delete,
//   and the status subresource.
// Tests drive it with apply/remove, break watches, compact history and make requests fail.

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Json } from './json.js';

type Obj = Record<string, Json>;
const GATEWAY = 'gateway.networking.k8s.io';

interface Resource {
  kind: string;
  apiVersion: string;
  /** `/api/v1` or `/apis/<group>/<version>`. */
  prefix: string;
  plural: string;
  namespaced: boolean;
}

const RESOURCES: Resource[] = [
  { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', prefix: '/apis/networking.k8s.io/v1', plural: 'ingresses', namespaced: true },
  { kind: 'IngressClass', apiVersion: 'networking.k8s.io/v1', prefix: '/apis/networking.k8s.io/v1', plural: 'ingressclasses', namespaced: false },
  { kind: 'Service', apiVersion: 'v1', prefix: '/api/v1', plural: 'services', namespaced: true },
  { kind: 'Secret', apiVersion: 'v1', prefix: '/api/v1', plural: 'secrets', namespaced: true },
  { kind: 'Event', apiVersion: 'v1', prefix: '/api/v1', plural: 'events', namespaced: true },
  { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', prefix: '/apis/discovery.k8s.io/v1', plural: 'endpointslices', namespaced: true },
  { kind: 'ConfigMap', apiVersion: 'v1', prefix: '/api/v1', plural: 'configmaps', namespaced: true },
  { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', prefix: '/apis/coordination.k8s.io/v1', plural: 'leases', namespaced: true },
  { kind: 'Event', apiVersion: 'events.k8s.io/v1', prefix: '/apis/events.k8s.io/v1', plural: 'events', namespaced: true },
  { kind: 'Namespace', apiVersion: 'v1', prefix: '/api/v1', plural: 'namespaces', namespaced: false },
  // Gateway API, as its CRDs serve it (FakeApiServer.gatewayApi = false: not installed).
  { kind: 'GatewayClass', apiVersion: `${GATEWAY}/v1`, prefix: `/apis/${GATEWAY}/v1`, plural: 'gatewayclasses', namespaced: false },
  { kind: 'Gateway', apiVersion: `${GATEWAY}/v1`, prefix: `/apis/${GATEWAY}/v1`, plural: 'gateways', namespaced: true },
  { kind: 'HTTPRoute', apiVersion: `${GATEWAY}/v1`, prefix: `/apis/${GATEWAY}/v1`, plural: 'httproutes', namespaced: true },
  { kind: 'GRPCRoute', apiVersion: `${GATEWAY}/v1`, prefix: `/apis/${GATEWAY}/v1`, plural: 'grpcroutes', namespaced: true },
  { kind: 'ReferenceGrant', apiVersion: `${GATEWAY}/v1beta1`, prefix: `/apis/${GATEWAY}/v1beta1`, plural: 'referencegrants', namespaced: true },
];

interface WatchEvent {
  resource: Resource;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Obj;
  rv: number;
}

interface Watcher {
  resource: Resource;
  namespace?: string;
  matches(o: Obj): boolean;
  res: http.ServerResponse;
}

export class FakeApiServer {
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private rv = 1000;
  /** Watches from a resourceVersion below this get 410 Gone. */
  private oldest = 0;
  private readonly store = new Map<Resource, Map<string, Obj>>();
  private readonly history: WatchEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private failures: Array<{ match: RegExp; status: number; body?: RegExp }> = [];
  private holds: Array<{ match: RegExp; waiting: Array<() => void> }> = [];
  private bookmarkTimer: NodeJS.Timeout | undefined;
  /** Every request, as `METHOD path?query`. */
  readonly requests: string[] = [];
  /** Whether the Gateway API CRDs are installed: without them its paths are 404, as on a real cluster. */
  gatewayApi = true;
  port = 0;

  constructor(private readonly bookmarkEveryMs = 200) {}

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.bookmarkTimer = setInterval(() => this.bookmarks(), this.bookmarkEveryMs);
  }

  async stop(): Promise<void> {
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    this.breakWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A kubeconfig for this server; client-node wants insecure-skip-tls-verify for plain http. */
  writeKubeconfig(dir: string): string {
    const file = path.join(dir, 'kubeconfig');
    fs.writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${this.port}`, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'test', user: { token: 'test-token' } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'test' } }],
        'current-context': 'fake',
      }),
    );
    return file;
  }

  /** Creates or replaces an object as `kubectl apply` would, and tells the watches. */
  apply(object: Obj): Obj {
    const resource = this.resourceOf(object.kind, object.apiVersion);
    const objects = this.objects(resource);
    const key = this.key(resource, object.metadata.namespace, object.metadata.name);
    const before = objects.get(key);
    // Status is a subresource: writing the object keeps it, as kubectl apply does.
    const next = object.status === undefined && before?.status !== undefined ? { ...object, status: before.status } : object;
    const stored = this.stamp(resource, structuredClone(next), before);
    objects.set(key, stored);
    this.emit(resource, before ? 'MODIFIED' : 'ADDED', stored);
    return stored;
  }

  remove(kind: string, namespace: string | undefined, name: string, apiVersion?: string): void {
    const resource = this.resourceOf(kind, apiVersion);
    const key = this.key(resource, namespace, name);
    const before = this.objects(resource).get(key);
    if (!before) return;
    this.objects(resource).delete(key);
    this.rv++;
    this.emit(resource, 'DELETED', { ...before, metadata: { ...before.metadata, resourceVersion: String(this.rv) } });
  }

  get(kind: string, namespace: string | undefined, name: string, apiVersion?: string): Obj | undefined {
    const resource = this.resourceOf(kind, apiVersion);
    return this.objects(resource).get(this.key(resource, namespace, name));
  }

  list(kind: string, apiVersion?: string): Obj[] {
    return [...this.objects(this.resourceOf(kind, apiVersion)).values()];
  }

  /** Ends every open watch, as a restarted API server or a dropped connection would. */
  breakWatches(): void {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
  }

  /** Forgets history: a watch from any version before now gets 410 Gone. */
  compact(): void {
    this.oldest = this.rv + 1;
    this.history.length = 0;
  }

  /** The next `count` requests whose `METHOD path?query` (and body, if given) match get `status`. */
  fail(match: RegExp, status: number, count = 1, body?: RegExp): void {
    for (let i = 0; i < count; i++) this.failures.push({ match, status, body });
  }

  /**
   * Requests whose `METHOD path?query` match wait until the returned function is called (a slow list);
   * the requests that arrive after it are answered at once.
   */
  hold(match: RegExp): () => void {
    const hold = { match, waiting: [] as Array<() => void> };
    this.holds.push(hold);
    return () => {
      this.holds = this.holds.filter((h) => h !== hold);
      for (const go of hold.waiting.splice(0)) go();
    };
  }

  clearFailures(): void {
    this.failures = [];
  }

  openWatches(): number {
    return this.watchers.size;
  }

  private resourceOf(kind: string, apiVersion?: string): Resource {
    const r = RESOURCES.find((x) => x.kind === kind && (!apiVersion || x.apiVersion === apiVersion));
    if (!r) throw new Error(`the fake API server does not serve ${apiVersion ?? ''} ${kind}`);
    return r;
  }

  private objects(resource: Resource): Map<string, Obj> {
    let map = this.store.get(resource);
    if (!map) this.store.set(resource, (map = new Map()));
    return map;
  }

  private key(resource: Resource, namespace: string | undefined, name: string): string {
    return resource.namespaced ? `${namespace || 'default'}/${name}` : name;
  }

  private stamp(resource: Resource, object: Obj, before: Obj | undefined): Obj {
    this.rv++;
    object.apiVersion = resource.apiVersion;
    object.kind = resource.kind;
    object.metadata = { ...object.metadata };
    if (resource.namespaced) object.metadata.namespace ||= 'default';
    object.metadata.resourceVersion = String(this.rv);
    object.metadata.uid = before?.metadata.uid ?? randomUUID();
    object.metadata.creationTimestamp = before?.metadata.creationTimestamp ?? new Date(Date.now() - 1000 + this.rv).toISOString().replace(/\.\d+Z$/, 'Z');
    // As the API server does: the generation moves with the spec, never with the status.
    const sameSpec = before !== undefined && JSON.stringify(before.spec) === JSON.stringify(object.spec);
    object.metadata.generation = sameSpec ? before.metadata.generation : (before?.metadata.generation ?? 0) + 1;
    return object;
  }

  private emit(resource: Resource, type: WatchEvent['type'], object: Obj): void {
    const event: WatchEvent = { resource, type, object: structuredClone(object), rv: Number(object.metadata.resourceVersion) };
    this.history.push(event);
    for (const w of this.watchers) if (w.resource === resource && this.visible(w, event.object)) this.send(w.res, { type, object: event.object });
  }

  private visible(w: Pick<Watcher, 'namespace' | 'matches'>, o: Obj): boolean {
    return (!w.namespace || o.metadata.namespace === w.namespace) && w.matches(o);
  }

  private send(res: http.ServerResponse, event: unknown): void {
    res.write(JSON.stringify(event) + '\n');
  }

  private bookmarks(): void {
    for (const w of this.watchers) {
      if ((w as Watcher & { bookmarks?: boolean }).bookmarks)
        this.send(w.res, {
          type: 'BOOKMARK',
          object: { kind: w.resource.kind, apiVersion: w.resource.apiVersion, metadata: { resourceVersion: String(this.rv) } },
        });
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = this.route(url.pathname);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const held = this.holds.find((h) => h.match.test(`${req.method} ${url.pathname}${url.search}`));
      if (held) held.waiting.push(() => answer());
      else answer();
    });
    const answer = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const failure = this.failures.findIndex((f) => f.match.test(`${req.method} ${url.pathname}${url.search}`) && (!f.body || f.body.test(text)));
      if (failure >= 0) {
        const { status } = this.failures.splice(failure, 1)[0]!;
        return this.status(res, status, 'InternalError', 'a failure the test asked for');
      }
      if (!route) return this.status(res, 404, 'NotFound', `the fake API server has no ${url.pathname}`);
      const body = text ? (JSON.parse(text) as Obj) : undefined;
      const { resource, namespace, name, subresource } = route;
      if (req.method === 'GET' && !name)
        return url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1'
          ? this.watch(res, resource, namespace, url)
          : this.listCollection(res, resource, namespace, url);
      if (req.method === 'POST' && !name) return this.create(res, resource, namespace, body);
      if (!name) return this.status(res, 405, 'MethodNotAllowed', `${req.method} on a collection`);
      const key = this.key(resource, namespace, name);
      const current = this.objects(resource).get(key);
      if (req.method === 'GET') return current ? this.json(res, 200, current) : this.status(res, 404, 'NotFound', `${resource.plural} "${name}" not found`);
      if (req.method === 'DELETE') {
        if (!current) return this.status(res, 404, 'NotFound', `${resource.plural} "${name}" not found`);
        this.remove(resource.kind, namespace, name, resource.apiVersion);
        return this.json(res, 200, current);
      }
      if (!current) return this.status(res, 404, 'NotFound', `${resource.plural} "${name}" not found`);
      if (req.method === 'PUT') {
        const sent = body?.metadata?.resourceVersion;
        if (sent !== undefined && sent !== current.metadata.resourceVersion)
          return this.status(res, 409, 'Conflict', `the object has been modified; please apply your changes to the latest version and try again`);
        const next = subresource === 'status' ? { ...current, status: body?.status } : { ...body, status: current.status };
        return this.json(res, 200, this.apply(next));
      }
      if (req.method === 'PATCH') {
        const sent = body?.metadata?.resourceVersion;
        if (sent !== undefined && sent !== current.metadata.resourceVersion)
          return this.status(res, 409, 'Conflict', `the object has been modified; please apply your changes to the latest version and try again`);
        if (subresource === 'status') return this.json(res, 200, this.apply({ ...current, status: mergePatch(current, body ?? {}).status }));
        return this.json(res, 200, this.apply(mergePatch(current, body ?? {})));
      }
      return this.status(res, 405, 'MethodNotAllowed', String(req.method));
    };
  }

  private route(pathname: string): { resource: Resource; namespace?: string; name?: string; subresource?: string } | undefined {
    for (const resource of RESOURCES) {
      if (!pathname.startsWith(resource.prefix + '/')) continue;
      if (!this.gatewayApi && resource.prefix.startsWith(`/apis/${GATEWAY}/`)) continue;
      const rest = pathname
        .slice(resource.prefix.length + 1)
        .split('/')
        .map(decodeURIComponent);
      let namespace: string | undefined;
      if (rest[0] === 'namespaces' && rest.length >= 3) {
        namespace = rest[1];
        rest.splice(0, 2);
      }
      if (rest[0] !== resource.plural) continue;
      return { resource, namespace, name: rest[1], subresource: rest[2] };
    }
    return undefined;
  }

  private selected(resource: Resource, namespace: string | undefined, url: URL): Obj[] {
    const matches = selector(url);
    return [...this.objects(resource).values()].filter((o) => this.visible({ namespace, matches }, o));
  }

  private listCollection(res: http.ServerResponse, resource: Resource, namespace: string | undefined, url: URL): void {
    const all = this.selected(resource, namespace, url).sort((a, b) =>
      this.key(resource, a.metadata.namespace, a.metadata.name) < this.key(resource, b.metadata.namespace, b.metadata.name) ? -1 : 1,
    );
    const limit = Number(url.searchParams.get('limit') ?? 0) || all.length;
    const from = Number(url.searchParams.get('continue') ?? 0);
    const page = all.slice(from, from + limit);
    const next = from + limit < all.length ? String(from + limit) : undefined;
    // As the real API server does, list items carry neither kind nor apiVersion.
    const items = page.map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
    this.json(res, 200, {
      kind: `${resource.kind}List`,
      apiVersion: resource.apiVersion,
      metadata: { resourceVersion: String(this.rv), ...(next ? { continue: next } : {}) },
      items,
    });
  }

  private watch(res: http.ServerResponse, resource: Resource, namespace: string | undefined, url: URL): void {
    const from = url.searchParams.get('resourceVersion');
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    // As the real API server does: the watch is answered at once, before its first event.
    res.flushHeaders();
    if (from && from !== '0' && Number(from) < this.oldest) {
      this.send(res, {
        type: 'ERROR',
        object: {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'Expired',
          code: 410,
          message: `too old resource version: ${from} (${this.oldest})`,
        },
      });
      res.end();
      return;
    }
    const matches = selector(url);
    const watcher: Watcher & { bookmarks?: boolean } = { resource, namespace, matches, res, bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true' };
    if (!from || from === '0') {
      for (const o of this.selected(resource, namespace, url)) this.send(res, { type: 'ADDED', object: o });
    } else {
      for (const e of this.history)
        if (e.resource === resource && e.rv > Number(from) && this.visible(watcher, e.object)) this.send(res, { type: e.type, object: e.object });
    }
    this.watchers.add(watcher);
    res.on('close', () => this.watchers.delete(watcher));
  }

  private create(res: http.ServerResponse, resource: Resource, namespace: string | undefined, body: Obj | undefined): void {
    if (!body?.metadata?.name && !body?.metadata?.generateName) return this.status(res, 422, 'Invalid', 'metadata.name: Required value');
    const name = body.metadata.name ?? `${body.metadata.generateName}${randomUUID().slice(0, 5)}`;
    const object: Obj = {
      ...body,
      metadata: { ...body.metadata, name, namespace: resource.namespaced ? (namespace ?? body.metadata.namespace ?? 'default') : undefined },
    };
    if (this.objects(resource).has(this.key(resource, object.metadata.namespace, name)))
      return this.status(res, 409, 'AlreadyExists', `${resource.plural} "${name}" already exists`);
    object.kind = resource.kind;
    object.apiVersion = resource.apiVersion;
    this.json(res, 201, this.apply(object));
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private status(res: http.ServerResponse, code: number, reason: string, message: string): void {
    this.json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  }
}

/** labelSelector (`a=b`, `a!=b`, `a`) and fieldSelector (`metadata.name=`, `metadata.namespace=`). */
function selector(url: URL): (o: Obj) => boolean {
  const labels = (url.searchParams.get('labelSelector') ?? '').split(',').filter(Boolean);
  const fields = (url.searchParams.get('fieldSelector') ?? '').split(',').filter(Boolean);
  return (o) => {
    for (const term of labels) {
      const [k, v] = term.split(/!?=/);
      const value = o.metadata.labels?.[k!];
      if (term.includes('!=') ? value === v : v === undefined ? value === undefined : value !== v) return false;
    }
    for (const term of fields) {
      const [k, v] = term.split('=');
      const value = k === 'metadata.name' ? o.metadata.name : k === 'metadata.namespace' ? o.metadata.namespace : undefined;
      if (value !== v) return false;
    }
    return true;
  };
}

function mergePatch(target: Obj, patch: Obj): Obj {
  const out: Obj = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' && out[k] !== null && !Array.isArray(out[k]))
      out[k] = mergePatch(out[k], v);
    else out[k] = v;
  }
  return out;
}
