// The REST client's connections: one kept-alive connection serves request after request (over TLS too:
// a handshake per request was most of a replica's CPU at rest), `maxConnections` bounds the requests in
// flight, and a kept-alive connection the server closed while idle is retried once on a new one.

import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { KubeClient } from '../../src/kube/client.js';
import { makeCertificates } from '../../src/certgen/certgen.js';
import { waitFor } from '../../src/local/wait.js';

/** A kubeconfig for `server`, trusting `ca` when given. */
function kubeConfig(server: string, ca?: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromString(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'c',
          cluster: { server, ...(ca ? { 'certificate-authority-data': Buffer.from(ca).toString('base64') } : { 'insecure-skip-tls-verify': true }) },
        },
      ],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'c',
    }),
  );
  return config;
}

/** Counts connections and requests in flight; `hold` keeps answers back until released. */
function instrument(server: http.Server | https.Server) {
  const state = { connections: 0, inFlight: 0, maxInFlight: 0, held: [] as Array<() => void>, hold: false, sockets: new Set<net.Socket>() };
  server.on(server instanceof https.Server ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    state.connections++;
    state.sockets.add(socket);
    socket.on('close', () => state.sockets.delete(socket));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    const answer = () => {
      state.inFlight--;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url }));
    };
    req.resume();
    req.on('end', () => (state.hold ? state.held.push(answer) : answer()));
  });
  return state;
}

async function listen(server: http.Server | https.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('kube/client: connections to the API server', () => {
  const servers: Array<http.Server | https.Server> = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });

  it('over TLS, a hundred requests one after the other share one connection', async () => {
    const certificates = await makeCertificates({ hosts: ['localhost'], days: 1 });
    const server = https.createServer({ cert: certificates['server.crt'], key: certificates['server.key'] });
    servers.push(server);
    const state = instrument(server);
    const port = await listen(server);
    const client = new KubeClient(kubeConfig(`https://localhost:${port}`, certificates['ca.crt']));
    for (let i = 0; i < 100; i++) expect((await client.expect<{ path: string }>('GET', `/api/v1/namespaces/n${i}`)).path).to.equal(`/api/v1/namespaces/n${i}`);
    expect(state.connections).to.equal(1);
    client.close();
  });

  it('maxConnections bounds the requests in flight; the others wait their turn and are all answered', async () => {
    const server = http.createServer();
    servers.push(server);
    const state = instrument(server);
    state.hold = true;
    const client = new KubeClient(kubeConfig(`http://127.0.0.1:${await listen(server)}`), { maxConnections: 3 });
    const answers = Promise.all(Array.from({ length: 40 }, (_, i) => client.expect<{ path: string }>('POST', `/api/v1/namespaces/default/events?n=${i}`, {})));
    await waitFor('three requests held by the server', () => state.held.length === 3, 10_000);
    state.hold = false;
    for (const answer of state.held.splice(0)) answer();
    expect((await answers).map((a) => a.path)).to.have.length(40);
    expect(state.maxInFlight).to.equal(3);
    expect(state.connections).to.be.at.most(3);
    client.close();
  });

  it('twenty requests held open at once (as the watches of a replica are) raise no listener-leak warning', async () => {
    const server = http.createServer();
    servers.push(server);
    const state = instrument(server);
    state.hold = true;
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const client = new KubeClient(kubeConfig(`http://127.0.0.1:${await listen(server)}`));
      const answers = Promise.all(Array.from({ length: 20 }, (_, i) => client.request('GET', `/api/v1/pods?watch=1&n=${i}`)));
      await waitFor('twenty requests held by the server', () => state.held.length === 20, 10_000);
      state.hold = false;
      for (const answer of state.held.splice(0)) answer();
      expect(await answers).to.have.length(20);
      // A warning is emitted on the next turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).to.not.include('MaxListenersExceededWarning');
      client.close();
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('close() ends the requests under way and those waiting for a connection', async () => {
    const server = http.createServer();
    servers.push(server);
    const state = instrument(server);
    state.hold = true;
    const client = new KubeClient(kubeConfig(`http://127.0.0.1:${await listen(server)}`), { maxConnections: 1 });
    const underWay = client.request('POST', '/api/v1/namespaces/default/events', {});
    const waiting = client.request('POST', '/api/v1/namespaces/default/events', {});
    await waitFor('one request held by the server', () => state.held.length === 1, 10_000);
    client.close();
    const outcomes = await Promise.allSettled([underWay, waiting]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected']);
    expect(state.held).to.have.length(1);
    // The client still works afterwards, on a new connection.
    state.hold = false;
    expect((await client.request('GET', '/api/v1/namespaces/a')).status).to.equal(200);
    client.close();
  });

  it('a kept-alive connection the server closes as the next request arrives: the request is sent again on a new one', async () => {
    // The race of an idle timeout: the server drops the connection just as a request is written on it.
    const server = http.createServer();
    servers.push(server);
    const seen: string[] = [];
    const served = new WeakMap<net.Socket, number>();
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      seen.push(req.url ?? '');
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n === 2) return req.socket.destroy();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url }));
    });
    const client = new KubeClient(kubeConfig(`http://127.0.0.1:${await listen(server)}`));
    await client.expect('GET', '/api/v1/namespaces/a');
    const again = await client.request<{ path: string }>('GET', '/api/v1/namespaces/b');
    expect(again.status).to.equal(200);
    expect(again.body.path).to.equal('/api/v1/namespaces/b');
    expect(seen).to.deep.equal(['/api/v1/namespaces/a', '/api/v1/namespaces/b', '/api/v1/namespaces/b']);
    client.close();
  });

  it('a request that fails on a new connection is not sent again', async () => {
    const server = http.createServer((req) => req.socket.destroy());
    servers.push(server);
    let requests = 0;
    server.on('request', () => requests++);
    const client = new KubeClient(kubeConfig(`http://127.0.0.1:${await listen(server)}`));
    const error = await client.request('GET', '/api/v1/namespaces/a').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(Error);
    expect(requests).to.equal(1);
    client.close();
  });
});
