// gRPC for tests: a backend whose one method answers its own name, a proxyless channel bootstrapped to
// one control plane, and RPC tallies.

import * as grpc from '@grpc/grpc-js';

export const METHOD = '/splitplane.test.Echo/Who';
const raw = (b: Buffer) => b;

/** A gRPC server whose one method answers its own name. */
export async function startGrpcBackend(name: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const server = new grpc.Server();
  const definition = {
    Who: {
      path: METHOD,
      requestStream: false,
      responseStream: false,
      requestSerialize: raw,
      requestDeserialize: raw,
      responseSerialize: raw,
      responseDeserialize: raw,
    },
  };
  server.addService(definition, { Who: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.from(name)) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { port, stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

/** A proxyless channel to `target`, bootstrapped to this control plane only. */
export function proxylessClient(target: string, xdsPort: number, nodeId: string): grpc.Client {
  const bootstrap = {
    xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: nodeId, cluster: 'grpc-clients', locality: {} },
  };
  // grpc-js-xds reads GRPC_XDS_BOOTSTRAP once per process; this channel option gives each test's
  // channel its own bootstrap, so tests do not share a control plane by accident.
  return new grpc.Client(`xds:///${target}`, grpc.credentials.createInsecure(), {
    'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': JSON.stringify(bootstrap),
  });
}

/** Every answer each client got, by backend: what its load reports must add up to. */
export const answered = new Map<grpc.Client, Record<string, number>>();

export function who(client: grpc.Client, headers: Record<string, string> = {}): Promise<string> {
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(METHOD, raw, raw, Buffer.alloc(0), metadata, { deadline: Date.now() + 15_000 }, (error, reply) => {
      if (error) return reject(error);
      const counts = answered.get(client) ?? {};
      counts[String(reply)] = (counts[String(reply)] ?? 0) + 1;
      answered.set(client, counts);
      resolve(String(reply));
    }),
  );
}

/** `n` RPCs, 20 at a time: how many each backend answered. */
export async function tallyRpcs(client: grpc.Client, n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let done = 0; done < n;) {
    const batch = Math.min(20, n - done);
    for (const answer of await Promise.all(Array.from({ length: batch }, () => who(client, headers)))) counts[answer] = (counts[answer] ?? 0) + 1;
    done += batch;
  }
  return counts;
}
