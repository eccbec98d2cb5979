// What keeps the admin port answering under hostile use, apart from routing.
//
// - DNS rebinding: a web page in a local browser can make its own host name resolve to 127.0.0.1 and then
//   read every /debug page as same-origin. The browser still sends the page's host name in `Host`, so a
//   loopback-bound admin server answers only requests addressed to a loopback name or its own address.
//   Bound to another address (`--admin-host`), it is meant to be reached by names we cannot know.
// - Slowloris: connections that trickle their headers hold a file descriptor each. Headers must arrive
//   within a few seconds, and past a cap the oldest connection with no request being answered is closed
//   to make room, so a new connection (the kubelet's probe, an operator's curl) always gets in and the
//   process keeps descriptors for xDS and the manifest folder.

import type http from 'node:http';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';

/** Open admin connections kept at most; past it the oldest idle or half-sent one is closed. */
export const MAX_ADMIN_CONNECTIONS = 128;
/** Time a client has to send a request's headers. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** Time a client has to send a whole request. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Whether an address is loopback: a host name other tools resolve to this machine only. */
export function isLoopbackName(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./.test(bare);
  return false;
}

/** The host part of a `Host` header or an absolute target's authority (`[::1]:19000` → `[::1]`). */
export function hostOf(authority: string): string {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    return end < 0 ? authority : authority.slice(0, end + 1);
  }
  const colon = authority.indexOf(':');
  return colon < 0 ? authority : authority.slice(0, colon);
}

/**
 * Undefined when a request may be answered; else why not. Only a loopback-bound server checks: it
 * answers requests addressed to a loopback name or to its own bind address. A request with no Host
 * (HTTP/1.0) comes from no browser, and is answered.
 */
export function refusedHost(req: http.IncomingMessage, bindAddress: string): string | undefined {
  if (!isLoopbackName(bindAddress)) return undefined;
  const target = req.url ?? '';
  let authority = req.headers.host;
  if (/^https?:\/\//i.test(target)) {
    try {
      authority = new URL(target).host;
    } catch {
      // requestPath refuses the target with its own message
    }
  }
  if (authority === undefined || authority === '') return undefined;
  const host = hostOf(authority).toLowerCase();
  if (isLoopbackName(host) || host.replace(/^\[(.*)\]$/, '$1') === bindAddress.toLowerCase()) return undefined;
  return `this admin server is bound to ${bindAddress} and answers requests addressed to it or to a loopback name (localhost, 127.0.0.1, [::1]), not to ${JSON.stringify(host.slice(0, 100))}; bind it elsewhere with --admin-host to reach it by other names`;
}

/** Caps open connections and bounds how long a request may take to arrive. */
export function guardConnections(server: http.Server, max = MAX_ADMIN_CONNECTIONS): void {
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  // Connections in the order they came; each knows whether a response is being written on it.
  const open = new Map<Socket, { busy: boolean }>();
  server.on('connection', (socket: Socket) => {
    if (open.size >= max) {
      // The oldest with no response being written; failing that (clients that never read), the oldest.
      let victim: Socket | undefined;
      for (const [other, state] of open) {
        if (!state.busy) {
          victim = other;
          break;
        }
        victim ??= other;
      }
      if (victim) {
        victim.destroy();
        open.delete(victim);
      }
    }
    open.set(socket, { busy: false });
    socket.once('close', () => open.delete(socket));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const state = open.get(req.socket);
    if (!state) return;
    state.busy = true;
    res.once('finish', () => (state.busy = false));
    res.once('close', () => (state.busy = false));
  });
}
