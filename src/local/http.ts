// Loopback HTTP for the demo and the tests: free ports, backends that answer a fixed body, and a client
// that sets the Host header, as the blue-green example's `curl -H "Host: mini-echo.io"` does.

import http from 'node:http';
import net from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Backend {
  port: number;
  hits: number;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 answering `body` and a newline, like the blue-green example's old/new nginx. */
export async function startBackend(body: string, status = 200): Promise<Backend> {
  const backend: Backend = { port: 0, hits: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    backend.hits++;
    req.resume();
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(`${body}\n`);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.port = (server.address() as net.AddressInfo).port;
  backend.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return backend;
}

export interface Reply {
  status: number;
  body: string;
  /** Set-Cookie headers of the response. */
  cookies: string[];
  headers: http.IncomingHttpHeaders;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/**
 * How long a client waits for an answer. Longer than Envoy's default route timeout (15 s), so a request
 * Envoy gives up on is reported as Envoy's 504, not as our own timeout; and long enough that a test
 * machine whose VM stalls for seconds at a time (seen here: 0.4–2 s pauses of every process) is not
 * mistaken for a request that failed.
 */
export const REQUEST_TIMEOUT_MS = 30_000;

export function get(port: number, host: string, path = '/', timeoutMs = REQUEST_TIMEOUT_MS, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { ...headers, host }, agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim(), cookies: res.headers['set-cookie'] ?? [], headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${host}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Sends `n` requests, `concurrency` at a time; counts bodies (errors count as `error:<message>`). */
export async function tally(
  port: number,
  host: string,
  n: number,
  concurrency = 8,
  path = '/',
  headers: Record<string, string> = {},
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let sent = 0;
  const worker = async () => {
    while (sent < n) {
      sent++;
      let key: string;
      try {
        const r = await get(port, host, path, REQUEST_TIMEOUT_MS, headers);
        key = r.status === 200 ? r.body : `status:${r.status}:${r.body}`;
      } catch (error) {
        key = `error:${(error as Error).message}`;
      }
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
}
