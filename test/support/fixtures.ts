// Object builders for tests: the smallest valid objects, with the fields a test cares about on top.

import type { EndpointSlice, Ingress, IngressBackend, IngressClass, Service } from '../../src/objects/kube.js';

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
