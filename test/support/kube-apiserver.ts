// A real kube-apiserver and etcd on loopback for the cluster tests, built by test/support/install-kube.sh.
// The API server serves TLS with a certificate certgen makes, accepts client certificates of the same CA,
// signs ServiceAccount tokens (so TokenRequest works) and authorizes with RBAC; the test's own setup uses an
// admin client certificate (O=system:masters), and splitplane runs with a token of deploy/rbac.yaml's
// ServiceAccount, never admin credentials. No controller-manager runs: tests
// create the EndpointSlices a cluster would publish, with TEST-NET addresses (a real API server refuses
// loopback ones).

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { dump, loadAll } from 'js-yaml';
import { makeCertificates } from '../../src/certgen/certgen.js';
import { KubeApiError, KubeClient } from '../../src/kube/client.js';
import { freePort } from '../../src/local/http.js';
import { waitFor } from '../../src/local/wait.js';
import type { Json } from './json.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface RealApiServer {
  /** https://127.0.0.1:PORT */
  server: string;
  /** Full rights, for the test's own setup. */
  admin: KubeClient;
  adminKubeconfig: string;
  /** A kubeconfig with a token of deploy/rbac.yaml's ServiceAccount `splitplane/splitplane`. */
  serviceAccountKubeconfig: string;
  /** A kubeconfig with a token of deploy/certgen.yaml's ServiceAccount `splitplane/splitplane-certgen`. */
  certgenKubeconfig: string;
  /** Stops the API server (etcd keeps the data) and, with `restart`, starts it again on the same port. */
  stopApiServer(): Promise<void>;
  startApiServer(): Promise<void>;
  stop(): Promise<void>;
}

/** The folder holding kube-apiserver and etcd: built once by test/support/install-kube.sh (minutes, with progress). */
export function kubeBinaries(): string {
  return execFileSync('bash', [path.join(repo, 'test', 'support', 'install-kube.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

export async function startRealApiServer(dir: string): Promise<RealApiServer> {
  const bin = kubeBinaries();
  fs.mkdirSync(dir, { recursive: true });
  const file = (name: string, text: string, mode = 0o600) => {
    const full = path.join(dir, name);
    fs.writeFileSync(full, text, { mode });
    return full;
  };
  const certificates = await makeCertificates({ hosts: ['kubernetes', 'kubernetes.default.svc'], days: 1 });
  const caFile = file('ca.crt', certificates['ca.crt']);
  const certFile = file('server.crt', certificates['server.crt']);
  const keyFile = file('server.key', certificates['server.key']);
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const saKey = file('sa.key', signing.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const saPub = file('sa.pub', signing.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  const adminCertificate = await clientCertificate(certificates['ca.crt'], certificates['ca.key'], 'CN=test-admin, O=system:masters');

  const etcdClient = await freePort();
  const etcdPeer = await freePort();
  const apiPort = await freePort();
  const server = `https://127.0.0.1:${apiPort}`;
  const logs: string[] = [];
  const keepLog = (child: ChildProcess, name: string) => {
    const add = (chunk: Buffer) => {
      logs.push(`${name}: ${chunk.toString('utf8')}`);
      if (logs.length > 200) logs.splice(0, logs.length - 200);
    };
    child.stdout?.on('data', add);
    child.stderr?.on('data', add);
  };
  const etcd = spawn(
    path.join(bin, 'etcd'),
    [
      '--data-dir',
      path.join(dir, 'etcd'),
      '--listen-client-urls',
      `http://127.0.0.1:${etcdClient}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${etcdClient}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${etcdPeer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${etcdPeer}`,
      '--initial-cluster',
      `default=http://127.0.0.1:${etcdPeer}`,
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  keepLog(etcd, 'etcd');

  let apiserver: ChildProcess | undefined;
  const startApiServer = async () => {
    apiserver = spawn(
      path.join(bin, 'kube-apiserver'),
      [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--tls-cert-file=${certFile}`,
        `--tls-private-key-file=${keyFile}`,
        `--client-ca-file=${caFile}`,
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        '--authorization-mode=RBAC',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--advertise-address=127.0.0.1',
        '--disable-admission-plugins=ServiceAccount',
        '--enable-priority-and-fairness=false',
        '--v=0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    keepLog(apiserver, 'kube-apiserver');
    const exited = new Promise<never>((_, reject) =>
      apiserver!.once('exit', (code) => reject(new Error(`kube-apiserver exited (${code}):\n${logs.join('').slice(-4000)}`))),
    );
    await Promise.race([
      exited,
      waitFor(
        'kube-apiserver ready',
        async () => {
          const r = await admin.request('GET', '/readyz').catch(() => undefined);
          return r?.status === 200 || undefined;
        },
        120_000,
        200,
      ),
    ]);
  };

  const kubeconfig = (name: string, user: { token: string } | { certificate: string; key: string }) => {
    const base64 = (text: string) => Buffer.from(text).toString('base64');
    const text = dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'real', cluster: { server, 'certificate-authority-data': base64(certificates['ca.crt']) } }],
      users: [
        { name, user: 'token' in user ? { token: user.token } : { 'client-certificate-data': base64(user.certificate), 'client-key-data': base64(user.key) } },
      ],
      contexts: [{ name: 'real', context: { cluster: 'real', user: name } }],
      'current-context': 'real',
    });
    return file(`${name}.kubeconfig`, text);
  };
  const adminKubeconfig = kubeconfig('admin', adminCertificate);
  const adminConfig = new KubeConfig();
  adminConfig.loadFromFile(adminKubeconfig);
  const admin = new KubeClient(adminConfig);

  const stopApiServer = async () => {
    const child = apiserver;
    apiserver = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  };
  const stop = async () => {
    await stopApiServer();
    await new Promise<void>((resolve) => {
      if (etcd.exitCode !== null) return resolve();
      etcd.once('exit', () => resolve());
      etcd.kill('SIGTERM');
    });
  };

  try {
    await startApiServer();
    // What `kubectl apply -k deploy/` would create of splitplane's own: its namespace and its RBAC.
    // What `kubectl apply -k deploy/` would create of splitplane's own: its namespace and its RBAC (the
    // certgen Job's too, without the Job: no kubelet runs here).
    for (const name of ['namespace.yaml', 'rbac.yaml', 'certgen.yaml']) {
      for (const object of loadAll(fs.readFileSync(path.join(repo, 'deploy', name), 'utf8')) as Array<Record<string, Json>>) {
        if (object && object.kind !== 'Job') await create(admin, object);
      }
    }
    const tokenOf = async (serviceAccount: string) =>
      (
        await admin.expect<{ status: { token: string } }>('POST', `/api/v1/namespaces/splitplane/serviceaccounts/${serviceAccount}/token`, {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 3600 },
        })
      ).status.token;
    return {
      server,
      admin,
      adminKubeconfig,
      serviceAccountKubeconfig: kubeconfig('splitplane', { token: await tokenOf('splitplane') }),
      certgenKubeconfig: kubeconfig('splitplane-certgen', { token: await tokenOf('splitplane-certgen') }),
      stopApiServer,
      startApiServer,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const COLLECTIONS: Record<string, string> = {
  Namespace: '/api/v1/namespaces',
  ServiceAccount: '/api/v1/namespaces/NS/serviceaccounts',
  ClusterRole: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
  ClusterRoleBinding: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
  Role: '/apis/rbac.authorization.k8s.io/v1/namespaces/NS/roles',
  RoleBinding: '/apis/rbac.authorization.k8s.io/v1/namespaces/NS/rolebindings',
};

async function create(client: KubeClient, object: Record<string, Json>): Promise<void> {
  const collection = COLLECTIONS[object.kind as string];
  if (!collection) throw new Error(`no collection known for ${object.kind}`);
  await client.expect('POST', collection.replace('NS', object.metadata.namespace ?? 'default'), object);
}

/** A client certificate for `subject`, signed by the CA certgen made (ECDSA P-256, one day). */
async function clientCertificate(caCertificate: string, caKey: string, subject: string): Promise<{ certificate: string; key: string }> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const signingKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(caKey), algorithm, false, ['sign']);
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const ca = new x509.X509Certificate(caCertificate);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject,
    issuer: ca.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingKey,
    publicKey: keys.publicKey,
    signingAlgorithm: algorithm,
    extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });
  const key = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { certificate: certificate.toString('pem'), key };
}

/**
 * Creates or replaces an object as kubectl apply does: read, then write over what was read. splitplane's
 * leader writes the status in between (a new resourceVersion, 409), so a conflict is read again and retried.
 */
export async function putOrCreate(client: KubeClient, collection: string, object: Record<string, Json>): Promise<void> {
  const item = `${collection}/${encodeURIComponent(object.metadata.name)}`;
  for (let attempt = 1; ; attempt++) {
    const current = await client.request<Record<string, Json>>('GET', item);
    try {
      if (current.status === 404) await client.expect('POST', collection, object);
      else await client.expect('PUT', item, { ...object, metadata: { ...object.metadata, resourceVersion: current.body.metadata.resourceVersion } });
      return;
    } catch (error) {
      if (!(error instanceof KubeApiError) || error.status !== 409 || attempt >= 5) throw error;
    }
  }
}
