// certgen's certificates as Kubernetes Secrets, as Contour's certgen does it: `splitplane-xds-server`
// (mounted by the control plane) and `splitplane-xds-client` (mounted by every Envoy), each a
// kubernetes.io/tls Secret with the CA certificate beside it as ca.crt. The CA's key is not kept in
// the cluster: running certgen again (--force) replaces all three certificates together.

import path from 'node:path';
import { dump } from 'js-yaml';
import { KubeApiError, type KubeClient } from '../kube/client.js';
import type { CertificateSet } from './certgen.js';
import { CertgenError } from './errors.js';
import { privateFolder, taken, writeNewFile } from './private-files.js';

export const SERVER_SECRET = 'splitplane-xds-server';
export const CLIENT_SECRET = 'splitplane-xds-client';

export interface SecretManifest {
  apiVersion: 'v1';
  kind: 'Secret';
  type: 'kubernetes.io/tls';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  data: Record<'tls.crt' | 'tls.key' | 'ca.crt', string>;
}

export function secretManifests(set: CertificateSet, namespace: string): SecretManifest[] {
  const secret = (name: string, cert: string, key: string): SecretManifest => ({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': 'splitplane', 'app.kubernetes.io/component': 'xds-certificates' } },
    data: { 'tls.crt': base64(cert), 'tls.key': base64(key), 'ca.crt': base64(set['ca.crt']) },
  });
  return [secret(SERVER_SECRET, set['server.crt'], set['server.key']), secret(CLIENT_SECRET, set['client.crt'], set['client.key'])];
}

/** Writes the two Secrets as YAML manifests into `out`; returns the paths. */
export function writeSecretManifests(set: CertificateSet, namespace: string, out: string, force: boolean): string[] {
  privateFolder(out);
  const secrets = secretManifests(set, namespace);
  for (const secret of secrets) {
    const file = path.join(out, `${secret.metadata.name}.yaml`);
    if (taken(file) && !force) throw new CertgenError(`${file} exists: pass --force to replace it, or choose another --out`);
  }
  return secrets.map((secret) => {
    const file = path.join(out, `${secret.metadata.name}.yaml`);
    writeNewFile(file, dump(secret), 0o600);
    return file;
  });
}

/**
 * Creates the two Secrets through the API server. When both exist already nothing changes (a Job that
 * runs again keeps the certificates Envoys use), unless `force` replaces them.
 */
export async function applySecrets(client: KubeClient, set: () => Promise<CertificateSet>, namespace: string, force: boolean): Promise<string> {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
  const exists = await Promise.all([SERVER_SECRET, CLIENT_SECRET].map(async (name) => (await client.request('GET', `${base}/${name}`)).status === 200));
  if (exists.every(Boolean) && !force) return `Secrets ${SERVER_SECRET} and ${CLIENT_SECRET} exist in ${namespace}; kept (pass --force to replace them)`;
  const replaced = exists.some(Boolean);
  for (const secret of secretManifests(await set(), namespace)) {
    try {
      await client.expect('POST', base, secret);
    } catch (error) {
      if (!(error instanceof KubeApiError) || error.status !== 409) throw error;
      await client.expect('PUT', `${base}/${secret.metadata.name}`, secret);
    }
  }
  return `${replaced ? 'replaced' : 'created'} Secrets ${SERVER_SECRET} and ${CLIENT_SECRET} in ${namespace}`;
}

function base64(text: string): string {
  return Buffer.from(text).toString('base64');
}
