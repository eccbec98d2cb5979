// Kubernetes objects for integration tests, written as files the file source reads (JSON is YAML).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Json } from './json.js';

export type Obj = Record<string, unknown>;

export function service(name: string): Obj {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] } };
}

/** The EndpointSlice putting Service `name`'s endpoint on a loopback port. */
export function endpointSlice(name: string, port: number): Obj {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-1`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port, protocol: 'TCP' }],
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
  };
}

export interface PathSpec {
  path?: string;
  pathType?: string;
  service: string;
  /** Port by name instead of number. */
  portName?: string;
}

export function ingress(name: string, host: string | undefined, paths: PathSpec[], annotations: Record<string, string> = {}, extra: Obj = {}): Obj {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'default', annotations },
    spec: {
      ...extra,
      rules: [
        {
          ...(host ? { host } : {}),
          http: {
            paths: paths.map((p) => ({
              path: p.path ?? '/',
              pathType: p.pathType ?? 'Prefix',
              backend: { service: { name: p.service, port: p.portName ? { name: p.portName } : { number: 80 } } },
            })),
          },
        },
      ],
    },
  };
}

export function tlsSecret(name: string, certificate: string, key: string): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, namespace: 'default' },
    data: { 'tls.crt': Buffer.from(certificate).toString('base64'), 'tls.key': Buffer.from(key).toString('base64') },
  };
}

/** A self-signed certificate for `host`, made with openssl: the test's own, nothing checked in. */
/** `key`: openssl's -newkey and -pkeyopt arguments; an ECDSA P-256 key by default. */
export function selfSignedCertificate(
  host: string,
  key: readonly string[] = ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
): { certificate: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitplane-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        ...key,
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${host}`,
        '-addext',
        `subjectAltName=DNS:${host}`,
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    return { certificate: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'), key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes an object to `<dir>/<file>.yaml` atomically (rename), so the watcher never sees half a file. */
export function writeObject(dir: string, file: string, obj: Obj | Obj[]): void {
  const text = Array.isArray(obj) ? obj.map((o) => JSON.stringify(o)).join('\n---\n') : JSON.stringify(obj);
  const target = path.join(dir, `${file}.yaml`);
  fs.writeFileSync(`${target}.tmp`, text);
  fs.renameSync(`${target}.tmp`, target);
}

/** The blue-green example's Ingress on mini-echo.io, splitting old-nginx and new-nginx with the aliyun weight. */
export function echoIngress(weight: string): Obj & { metadata: Json; spec: Json } {
  return ingress('echo', 'mini-echo.io', [{ service: 'old-nginx' }, { service: 'new-nginx' }], { 'ingress.aliyun.weight/new-nginx': weight }) as Obj & {
    metadata: Json;
    spec: Json;
  };
}

/** old-nginx and new-nginx with an endpoint each (ports 9001 and 9002): the blue-green example's cluster state. */
export function blueGreenBackends(): Obj[] {
  return [service('old-nginx'), service('new-nginx'), endpointSlice('old-nginx', 9001), endpointSlice('new-nginx', 9002)];
}
