// `splitplane certgen --out DIR`: a private CA, a server certificate for the xDS port and a client
// certificate for Envoy, so that xDS can run with TLS and client certificates from the first day,
// without openssl recipes. ECDSA P-256 keys (fast, and what every Envoy and grpc-js accept).
//
// node:crypto makes keys but not certificates; @peculiar/x509 builds them on WebCrypto. It needs the
// reflect-metadata polyfill, loaded here only, so the server itself never carries it.

import { isIP } from 'node:net';
import path from 'node:path';
import { webcrypto } from 'node:crypto';
import { eachFlag } from '../flags.js';
import { CertgenError } from './errors.js';
import { badHostName } from './host-name.js';
import { privateFolder, taken, writeNewFile } from './private-files.js';

export interface CertgenOptions {
  /** Folder to write to; empty with --kube. */
  out: string;
  /** `pem`: six PEM files; `secrets`: two Kubernetes Secret manifests (server and client). */
  format: 'pem' | 'secrets';
  /** Create the two Secrets through the API server instead of writing files. */
  kube: boolean;
  /** Namespace of the Secrets (--format secrets, --kube). */
  namespace: string;
  kubeconfig?: string;
  /** Extra names for the server certificate (DNS names or IP addresses), e.g. splitplane.ns.svc. */
  hosts: string[];
  days: number;
  /** Overwrite files that exist. */
  force: boolean;
}

export const CERT_FILES = ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'client.crt', 'client.key'] as const;

/** Names the server certificate always carries: how Envoy on the same node and in tests reach it. */
export const DEFAULT_SERVER_NAMES = ['splitplane', 'localhost', '127.0.0.1', '::1'];
/** The client certificate's name; Envoy presents it. */
export const CLIENT_NAME = 'envoy';

export const CERTGEN_USAGE = `usage: splitplane certgen (--out DIR [--format pem|secrets] | --kube) [--host NAME]... [--days N] [--force]
  --out DIR     folder to write ca.crt, ca.key, server.crt, server.key, client.crt and client.key to
  --format F    pem (default), or secrets: the Kubernetes Secrets ${'splitplane-xds-server'} and
                ${'splitplane-xds-client'} as manifests (tls.crt, tls.key, ca.crt; the CA key is not kept)
  --kube        create those Secrets through the API server (in a pod, or with --kubeconfig FILE)
  --namespace NS  namespace of the Secrets (default splitplane)
  --host NAME   another DNS name or IP address for the server certificate (repeatable); it always has
                ${DEFAULT_SERVER_NAMES.join(', ')}
  --days N      validity of every certificate (default 365)
  --force       overwrite existing files`;

export { CertgenError };

export function parseCertgenArgs(argv: readonly string[]): CertgenOptions {
  const options: CertgenOptions = { out: '', format: 'pem', kube: false, namespace: 'splitplane', hosts: [], days: 365, force: false };
  eachFlag(
    argv,
    (flag) => new CertgenError(`${flag} needs a value\n${CERTGEN_USAGE}`),
    (flag, value, arg) => {
      switch (flag) {
        case '--out':
          options.out = path.resolve(value());
          break;
        case '--host': {
          const host = value();
          const bad = badHostName(host);
          if (bad) throw new CertgenError(`--host ${JSON.stringify(host.slice(0, 100))} is not a DNS name or an IP address: ${bad}`);
          options.hosts.push(host);
          break;
        }
        case '--days': {
          const text = value();
          if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 3650)
            throw new CertgenError(`--days ${JSON.stringify(text)} is not a number of days from 1 to 3650`);
          options.days = Number(text);
          break;
        }
        case '--force':
          options.force = true;
          break;
        case '--kube':
          options.kube = true;
          break;
        case '--kubeconfig':
          options.kubeconfig = path.resolve(value());
          break;
        case '--namespace':
          options.namespace = value();
          break;
        case '--format': {
          const format = value();
          if (format !== 'pem' && format !== 'secrets') throw new CertgenError(`--format ${JSON.stringify(format)} is not pem or secrets`);
          options.format = format;
          break;
        }
        case '--help':
        case '-h':
          throw new CertgenError(CERTGEN_USAGE);
        default:
          throw new CertgenError(`unknown flag ${JSON.stringify(arg)}\n${CERTGEN_USAGE}`);
      }
    },
  );
  if (options.out === '' && !options.kube) throw new CertgenError(`--out DIR (or --kube) is required\n${CERTGEN_USAGE}`);
  if (options.out !== '' && options.kube) throw new CertgenError('--out writes files and --kube writes Secrets to the cluster: give one of them');
  return options;
}

/** The six PEM texts certgen makes. */
export type CertificateSet = Record<(typeof CERT_FILES)[number], string>;

/** Writes the CA, server and client certificates and keys as PEM files; returns the paths written. */
export async function certgen(options: Pick<CertgenOptions, 'out' | 'hosts' | 'days' | 'force'>): Promise<string[]> {
  const existing = CERT_FILES.filter((f) => taken(path.join(options.out, f)));
  const [first] = existing;
  if (first !== undefined && !options.force)
    throw new CertgenError(`${path.join(options.out, first)} exists: pass --force to replace the certificates in ${options.out}, or choose another --out`);
  const files = await makeCertificates(options);
  privateFolder(options.out);
  const written: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(options.out, name);
    // Keys are readable by their owner only; each file is new, never written through a link (private-files.ts).
    writeNewFile(file, text, name.endsWith('.key') ? 0o600 : 0o644);
    written.push(file);
  }
  return written;
}

/** A CA, and a server and a client certificate signed by it, as PEM texts. */
export async function makeCertificates(options: Pick<CertgenOptions, 'hosts' | 'days'>): Promise<CertificateSet> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);

  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const notBefore = new Date(Date.now() - 5 * 60_000); // clocks of other nodes may run a little behind
  const notAfter = new Date(Date.now() + options.days * 86_400_000);
  const serial = () =>
    Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1');
  const keys = () => webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
  const pemKey = async (key: CryptoKey) => x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');

  const caKeys = await keys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=splitplane xDS CA',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const leaf = async (commonName: string, usage: string, names: string[]) => {
    const pair = await keys();
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${commonName}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      signingKey: caKeys.privateKey,
      publicKey: pair.publicKey,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([usage]),
        new x509.SubjectAlternativeNameExtension(names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }))),
        await x509.AuthorityKeyIdentifierExtension.create(ca),
      ],
    });
    return { certificate: certificate.toString('pem'), key: await pemKey(pair.privateKey) };
  };

  const server = await leaf('splitplane', x509.ExtendedKeyUsage.serverAuth, [...new Set([...DEFAULT_SERVER_NAMES, ...options.hosts])]);
  const client = await leaf(CLIENT_NAME, x509.ExtendedKeyUsage.clientAuth, [CLIENT_NAME]);
  const pem = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
  return {
    'ca.crt': pem(ca.toString('pem')),
    'ca.key': pem(await pemKey(caKeys.privateKey)),
    'server.crt': pem(server.certificate),
    'server.key': pem(server.key),
    'client.crt': pem(client.certificate),
    'client.key': pem(client.key),
  };
}
