// Who may talk to the xDS port: TLS with client certificates from PEM files, and the loopback test that
// decides, without TLS, whether a client may receive secrets.

import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';

/** TLS for the xDS port from PEM files; every client must present a certificate signed by `clientCa`. */
export function xdsServerCredentials(files: { cert: string; key: string; clientCa: string }): grpc.ServerCredentials {
  const read = (flag: string, file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw new Error(
        `cannot read ${flag} ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}): splitplane certgen --out DIR writes a CA, a server and a client certificate`,
      );
    }
  };
  const cert = read('--xds-tls-cert', files.cert);
  const key = read('--xds-tls-key', files.key);
  const ca = read('--xds-client-ca', files.clientCa);
  try {
    return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true);
  } catch (error) {
    throw new Error(
      `cannot use the xDS TLS files (--xds-tls-cert ${files.cert}, --xds-tls-key ${files.key}, --xds-client-ca ${files.clientCa}): ${(error as Error).message}`,
    );
  }
}

/** Whether a grpc-js peer (`127.0.0.1:5000`, `[::1]:5000`, `[::ffff:127.0.0.1]:5000`) is this host. */
export function isLoopbackPeer(peer: string): boolean {
  const host = peer.startsWith('[') ? peer.slice(1, peer.indexOf(']')) : peer.slice(0, peer.lastIndexOf(':'));
  const v4 = host.toLowerCase().replace(/^::ffff:/, '');
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || host === '::1';
}

/** A peer's address without its port: `ipv4:10.0.0.1:5555` and `[::1]:5555` → `10.0.0.1`, `::1`. */
export function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  if (bare.startsWith('[')) return bare.slice(1, bare.indexOf(']') > 0 ? bare.indexOf(']') : undefined);
  const colon = bare.lastIndexOf(':');
  return colon > 0 && bare.indexOf(':') === colon ? bare.slice(0, colon) : bare;
}
