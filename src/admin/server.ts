// The admin HTTP server: the dashboard, health, readiness, debug views and Prometheus metrics. Bound to
// loopback by default: it shows the whole routing configuration.

import http from 'node:http';
import type { Metrics } from '../metrics.js';
import type { Diagnostic } from '../objects/diagnostics.js';
import type { StatusEntry } from '../gateway/status-view.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { ClientStatus, SyncState } from '../xds/client-status.js';
import type { GroupRollout } from '../fleet/rollout.js';
import { dashboardData } from './dashboard-data.js';
import { DASHBOARD_CSP, DASHBOARD_CSS, DASHBOARD_HTML, FAVICON_SVG, dashboardScript } from './dashboard-page.js';
import { guardConnections, refusedHost } from './guard.js';
import type { GroupTraffic } from '../traffic/figures.js';
import type { RolloutStatus } from '../rollout/driver.js';
import type { Command } from '../rollout/machine.js';

export interface AdminSources {
  snapshot(): Snapshot | undefined;
  /** Why the control plane is not ready (the source has not synced, no snapshot yet), or undefined. */
  notReady?(): string | undefined;
  diagnostics(): Diagnostic[];
  streams(): unknown[];
  /** Every connected proxy's sync state (SYNCED, STALE, NACKED) from its ACKs. */
  clients?(): ClientStatus[];
  /** Per split group, how many connected proxies run its current weights. */
  rollout?(): GroupRollout[];
  /** Proxies of other replicas that are counted but not listed (a large fleet), by state. */
  unlistedProxies?(): Record<SyncState, number>;
  /** Each version's live traffic, from the proxies' load reports, over the last `windowMs` (default 30 s). */
  traffic?(windowMs?: number): GroupTraffic[];
  /** The automated rollouts: phase, step, why. */
  rollouts?(): RolloutStatus[];
  /** Gateway API: the status of each object of our classes, as the leader writes it (file mode: only here). */
  gatewayStatus?(): StatusEntry[];
  /** `splitplane rollout ACTION NS/NAME`: the groups it applies to (none: no rollout on that Ingress). */
  rolloutCommand?(ingress: string, command: Command): string[];
  /** Sets the gauges that are computed from live figures, just before a scrape. */
  beforeMetrics?(): void;
  metrics: Metrics;
}

const INDEX = `splitplane admin
  /                    the dashboard (in a browser; this list for any other client)
  /debug               this list
  /debug/dashboard     what the dashboard shows, as JSON: hosts and paths with weights and N of M applied, proxies, diagnostics
  /healthz             200 while the process runs
  /readyz              200 once the source has read everything and the first snapshot is published, else 503
  /debug/snapshot      versions and resources per type, as proto JSON
  /debug/diagnostics   every problem found in the inputs, naming object and field
  /debug/streams       every connected Envoy: node, subscriptions, sent and acknowledged versions
  /debug/clients       every connected proxy: kind, version, SYNCED / STALE / NACKED, per type sent, ACKed, last NACK
  /debug/clients/NODE  one proxy by node id
  /debug/rollout       per host and path: the weights, applied to N of M connected proxies (from their ACKs)
  /debug/traffic       per host and path, each version's live traffic over the last 30 s (?window=SECONDS,
                       up to 300): requests/s, success rate, requests in flight (from the proxies' load reports)
  /debug/rollouts      each automated rollout (splitplane.io/rollout): phase, step, weight, why
  /debug/gateway-status
                       Gateway API: each GatewayClass, Gateway and route of ours with its status conditions
  POST /rollouts/NS/NAME/ACTION
                       pause, resume, abort or promote the rollout of Ingress NS/NAME (what
                       \`splitplane rollout\` sends; needs the header X-Splitplane-Command: 1)
  /metrics             Prometheus metrics
`;

export interface AdminOptions {
  /** The address the server is bound to: bound to loopback, it answers loopback names only (guard.ts). */
  bindAddress?: string;
  /** Open connections kept at most. */
  maxConnections?: number;
}

export function createAdminServer(sources: AdminSources, options: AdminOptions = {}): http.Server {
  const bindAddress = options.bindAddress ?? '127.0.0.1';
  // Timeouts are checked every second, not Node's 30 s: a trickling client is cut off in time.
  const server = http.createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    // Any request line must get an answer, never an exception: the admin port is where people look
    // when something is wrong, and one odd request (`GET //[/`) must not take it away.
    try {
      route(req, res, sources, bindAddress);
    } catch (error) {
      if (!res.headersSent) send(res, 500, 'text/plain', `internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      else res.destroy();
    }
  });
  // Requests Node's parser cannot read (bad request lines, oversized headers) get a 400, not a reset.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') return socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\nthe request could not be read\n`);
  });
  // Node closes an idle keep-alive connection after 5 s. A scraper that reuses its connection just as
  // that timer fires gets a reset; a stall of this process (a long rebuild, a paused VM) makes the
  // timer fire exactly when the next request arrives. Keeping idle connections for longer than the
  // usual client idle timeouts moves the close to the client's side, where it is safe.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  guardConnections(server, options.maxConnections);
  return server;
}

const COMMANDS: readonly Command[] = ['pause', 'resume', 'abort', 'promote'];

// A command changes what the fleet serves. A browser page elsewhere can send a plain form POST to a
// loopback port, but not one with a custom header (that needs a CORS preflight this server never
// grants), so the header is what tells a person's CLI from a page they happen to have open.
function rolloutCommand(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, sources: AdminSources): void {
  req.resume();
  if (req.headers['x-splitplane-command'] !== '1')
    return send(res, 403, 'text/plain', 'a rollout command needs the header X-Splitplane-Command: 1 (splitplane rollout sends it)\n');
  const parts = pathname.slice('/rollouts/'.length).split('/').map(decodedSegment);
  const [namespace, name, action] = parts;
  if (parts.length !== 3 || !namespace || !name || !COMMANDS.includes(action as Command))
    return send(res, 400, 'text/plain', `expected POST /rollouts/NAMESPACE/NAME/ACTION with ACTION one of ${COMMANDS.join(', ')}\n`);
  const groups = sources.rolloutCommand?.(`${namespace}/${name}`, action as Command) ?? [];
  if (groups.length === 0)
    return send(
      res,
      404,
      'application/json',
      JSON.stringify({ error: `Ingress ${namespace}/${name} has no rollout (no splitplane.io/rollout annotation in its accepted form)` }),
    );
  return send(res, 202, 'application/json', JSON.stringify({ ingress: `${namespace}/${name}`, command: action, groups }));
}

/** The path of a request target: origin form (`/x?y`), or absolute form (`http://host/x`) as proxies send. */
export function requestPath(target: string): string | undefined {
  if (target.startsWith('/') && !target.startsWith('//')) return target.split(/[?#]/, 1)[0];
  try {
    return new URL(target, 'http://admin').pathname;
  } catch {
    return undefined;
  }
}

function route(req: http.IncomingMessage, res: http.ServerResponse, sources: AdminSources, bindAddress: string): void {
  const pathname = requestPath(req.url ?? '/');
  if (pathname === undefined)
    return send(res, 400, 'text/plain', `cannot read the request target ${JSON.stringify((req.url ?? '').slice(0, 100))}; try:\n${INDEX}`);
  const refused = refusedHost(req, bindAddress);
  if (refused) return send(res, 421, 'text/plain', `${refused}\n`);
  if (req.method === 'POST' && pathname.startsWith('/rollouts/')) return rolloutCommand(req, res, pathname, sources);
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET, and POST /rollouts/NS/NAME/ACTION\n');
  switch (pathname) {
    case '/':
      // A browser gets the dashboard; curl and scripts (which do not ask for HTML) get the list of pages.
      if (!/\btext\/html\b/.test(req.headers.accept ?? '')) return send(res, 200, 'text/plain', INDEX);
      return send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML, PAGE_HEADERS);
    case '/dashboard.js':
      return send(res, 200, 'text/javascript; charset=utf-8', dashboardScript(), PAGE_HEADERS);
    case '/dashboard.css':
      return send(res, 200, 'text/css; charset=utf-8', DASHBOARD_CSS, PAGE_HEADERS);
    case '/favicon.svg':
      return send(res, 200, 'image/svg+xml', FAVICON_SVG, PAGE_HEADERS);
    case '/debug':
      return send(res, 200, 'text/plain', INDEX);
    case '/debug/dashboard': {
      const data = dashboardData({
        rollout: sources.rollout?.() ?? [],
        clients: sources.clients?.() ?? [],
        diagnostics: sources.diagnostics(),
        notReady: notReady(sources),
        unlisted: sources.unlistedProxies?.(),
        traffic: sources.traffic?.(),
        rollouts: sources.rollouts?.(),
        gatewayStatus: sources.gatewayStatus?.(),
      });
      return send(res, 200, 'application/json', JSON.stringify(data));
    }
    case '/healthz':
      return send(res, 200, 'text/plain', 'ok\n');
    case '/readyz': {
      const waiting = notReady(sources);
      return waiting === undefined ? send(res, 200, 'text/plain', 'ready\n') : send(res, 503, 'text/plain', `not ready: ${waiting}\n`);
    }
    case '/debug/snapshot': {
      const snapshot = sources.snapshot();
      if (!snapshot) return send(res, 503, 'application/json', JSON.stringify({ error: 'no snapshot has been published yet' }));
      return send(res, 200, 'application/json', JSON.stringify(snapshot.toJSON(), null, 2));
    }
    case '/debug/traffic': {
      const seconds = new URL(req.url ?? '/', 'http://admin').searchParams.get('window');
      if (seconds !== null && !(/^\d{1,3}$/.test(seconds) && Number(seconds) >= 1 && Number(seconds) <= 300))
        return send(res, 400, 'text/plain', '?window= is a number of seconds from 1 to 300\n');
      return send(res, 200, 'application/json', JSON.stringify(sources.traffic?.(seconds === null ? undefined : Number(seconds) * 1000) ?? [], null, 2));
    }
    case '/debug/rollouts':
      return send(res, 200, 'application/json', JSON.stringify(sources.rollouts?.() ?? [], null, 2));
    case '/debug/gateway-status':
      return send(res, 200, 'application/json', JSON.stringify(sources.gatewayStatus?.() ?? [], null, 2));
    case '/debug/diagnostics':
      return send(res, 200, 'application/json', JSON.stringify(sources.diagnostics(), null, 2));
    case '/debug/streams':
      return send(res, 200, 'application/json', JSON.stringify(sources.streams(), null, 2));
    case '/metrics':
      // Gauges made from live figures are set as of now, not as of the last tick.
      sources.beforeMetrics?.();
      sources.metrics.render().then(
        (text) => send(res, 200, sources.metrics.contentType, text),
        (error: unknown) => send(res, 500, 'text/plain', `cannot render metrics: ${error instanceof Error ? error.message : String(error)}\n`),
      );
      return;
    case '/debug/rollout':
      return send(res, 200, 'application/json', JSON.stringify(sources.rollout?.() ?? [], null, 2));
    case '/debug/clients':
      return send(res, 200, 'application/json', JSON.stringify(sources.clients?.() ?? [], null, 2));
    default: {
      if (pathname.startsWith('/debug/clients/')) {
        const node = decodedSegment(pathname.slice('/debug/clients/'.length));
        const streams = (sources.clients?.() ?? []).filter((c) => c.node === node);
        if (streams.length === 0)
          return send(res, 404, 'application/json', JSON.stringify({ error: `no connected proxy has node id ${JSON.stringify(node)}` }));
        // A proxy reconnecting may briefly hold two streams: each is shown.
        return send(res, 200, 'application/json', JSON.stringify({ node, streams }, null, 2));
      }
      return send(res, 404, 'text/plain', `no such page; try:\n${INDEX}`);
    }
  }
}

/** Why the control plane is not ready yet (for /readyz and the dashboard), or undefined when it is. */
function notReady(sources: AdminSources): string | undefined {
  return sources.notReady?.() ?? (sources.snapshot() ? undefined : 'no snapshot has been published yet');
}

const KEEP_ALIVE_MS = 65_000;

/** The dashboard's files: nothing but themselves may run, and they may not be framed or sniffed. */
const PAGE_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** Every other response: data, never a page; nothing in it may run, be framed or be sniffed as HTML. */
const DATA_HEADERS = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

function send(res: http.ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = DATA_HEADERS): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  res.end(body);
}

export async function listenAdmin(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`cannot listen for admin on ${host}:${port}: ${error.message}; choose another --admin-port`)));
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** A path segment as the client meant it (`node%2F1` is `node/1`); left as sent when it is not valid. */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
