// Kubernetes objects for tests: the smallest valid typed objects with the fields a test cares about on
// top, the same as manifests (plain objects) for tests that write files or talk to an API server, and
// TLS material made with openssl.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Json } from './json.js';
import type { EndpointSlice, Ingress, IngressBackend, IngressClass, Service } from '../../src/objects/kube.js';
import type { ClientStatus } from '../../src/xds/client-status.js';

export interface PathSpec {
  path?: string;
  pathType?: string;
  service: string;
  port?: number | string;
}

export interface IngressSpec {
  name?: string;
  namespace?: string;
  annotations?: Record<string, string>;
  host?: string;
  paths?: PathSpec[];
  rules?: Array<{ host?: string; paths: PathSpec[] }>;
  defaultBackend?: { service: string; port?: number | string };
  ingressClassName?: string;
  creationTimestamp?: string;
}

export function backend(service: string, port: number | string = 80): IngressBackend {
  return { service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } };
}

export function ingress(spec: IngressSpec = {}): Ingress {
  const rules = spec.rules ?? [{ host: spec.host ?? 'mini-echo.io', paths: spec.paths ?? [{ service: 'old-nginx' }] }];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: spec.name ?? 'echo',
      namespace: spec.namespace ?? 'default',
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
      ...(spec.creationTimestamp ? { creationTimestamp: spec.creationTimestamp } : {}),
    },
    spec: {
      ...(spec.ingressClassName ? { ingressClassName: spec.ingressClassName } : {}),
      ...(spec.defaultBackend ? { defaultBackend: backend(spec.defaultBackend.service, spec.defaultBackend.port) } : {}),
      rules: rules.map((r) => ({
        ...(r.host ? { host: r.host } : {}),
        http: { paths: r.paths.map((p) => ({ path: p.path ?? '/', pathType: p.pathType ?? 'Prefix', backend: backend(p.service, p.port) })) },
      })),
    },
  };
}

export function service(name: string, ports: Array<{ port: number; name?: string }> = [{ port: 80 }], namespace = 'default'): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: ports.map((p) => ({ ...p, protocol: 'TCP' })) } };
}

export function endpointSlice(
  serviceName: string,
  addresses: Array<string | { address: string; ready: boolean }>,
  port: number,
  options: { portName?: string; namespace?: string; name?: string } = {},
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: options.name ?? `${serviceName}-slice`,
      namespace: options.namespace ?? 'default',
      labels: { 'kubernetes.io/service-name': serviceName },
    },
    addressType: 'IPv4',
    ports: [{ port, protocol: 'TCP', ...(options.portName ? { name: options.portName } : {}) }],
    endpoints: addresses.map((a) =>
      typeof a === 'string' ? { addresses: [a], conditions: { ready: true } } : { addresses: [a.address], conditions: { ready: a.ready } },
    ),
  };
}

export function ingressClass(name: string, controller: string, isDefault = false): IngressClass {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name, ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) },
    spec: { controller },
  };
}

/** Services old-nginx and new-nginx, each with one ready endpoint: the blue-green example's cluster state. */
export function blueGreenCluster(): { services: Service[]; endpointSlices: EndpointSlice[] } {
  return {
    services: [service('old-nginx'), service('new-nginx')],
    endpointSlices: [endpointSlice('old-nginx', ['10.0.0.1'], 80), endpointSlice('new-nginx', ['10.0.0.2'], 80)],
  };
}

// Manifests: plain objects, written to a folder (JSON is YAML) or sent to the fake API server.

export type Obj = Record<string, unknown>;

/** A Service whose port 80 is named `http`, for backends on loopback ports (see loopbackEndpointSlice). */
export function loopbackService(name: string): Obj {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] } };
}

/** The EndpointSlice putting Service `name`'s endpoint on a loopback port. */
export function loopbackEndpointSlice(name: string, port: number): Obj {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-1`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port, protocol: 'TCP' }],
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
  };
}

/** ingress() as a manifest: `host` undefined means a rule without host; `extra` goes into spec. */
export function ingressManifest(
  name: string,
  host: string | undefined,
  paths: Array<PathSpec & { portName?: string }>,
  annotations: Record<string, string> = {},
  extra: Obj = {},
): Obj {
  const base = ingress({ name, annotations, rules: [{ host, paths: paths.map((p) => ({ ...p, port: p.portName ?? p.port ?? 80 })) }] });
  return { ...base, spec: { ...extra, ...base.spec } };
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
  return ingressManifest('echo', 'mini-echo.io', [{ service: 'old-nginx' }, { service: 'new-nginx' }], { 'ingress.aliyun.weight/new-nginx': weight }) as Obj & {
    metadata: Json;
    spec: Json;
  };
}

/** old-nginx and new-nginx as a real cluster has them: Services, and EndpointSlices of TEST-NET addresses. */
export function clusterBackends(): Obj[] {
  return [
    ['old-nginx', '192.0.2.1'],
    ['new-nginx', '192.0.2.2'],
  ].flatMap(([name, address]) => {
    const slice = loopbackEndpointSlice(name!, 8080) as Obj & { endpoints: Array<{ addresses: string[] }> };
    return [loopbackService(name!), { ...slice, endpoints: [{ ...slice.endpoints[0], addresses: [address!] }] }];
  });
}

/** A Service and its one-endpoint EndpointSlice on a loopback port, for each name. */
export function loopbackBackends(ports: Record<string, number>): Obj[] {
  const entries = Object.entries(ports);
  return [...entries.map(([name]) => loopbackService(name)), ...entries.map(([name, port]) => loopbackEndpointSlice(name, port))];
}

/** old-nginx and new-nginx with an endpoint each (ports 9001 and 9002): the blue-green example's cluster state. */
export function blueGreenBackends(): Obj[] {
  return [loopbackService('old-nginx'), loopbackService('new-nginx'), loopbackEndpointSlice('old-nginx', 9001), loopbackEndpointSlice('new-nginx', 9002)];
}

/** A proxy as /debug/clients shows it: an Envoy 1.40 over Delta, in the given sync state. */
export function proxyStatus(node: string, state: ClientStatus['state'], types: ClientStatus['types'] = {}): ClientStatus {
  return { node, cluster: 'edge', kind: 'envoy', userAgent: 'envoy 1.40.0', protocol: 'delta', connectedSince: '2026-11-28T00:00:00.000Z', state, types };
}
