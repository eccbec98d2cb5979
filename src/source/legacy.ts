// Legacy Ingress (extensions/v1beta1, networking.k8s.io/v1beta1, the blue-green example's form) converted to the v1
// shape on read, so the model only knows one shape. Field names follow the Kubernetes conversion code:
// serviceName/servicePort become service.name/service.port, spec.backend becomes spec.defaultBackend,
// and a missing pathType becomes ImplementationSpecific (the v1beta1 default).

import type { Ingress, IngressBackend, ServiceBackendPort } from '../objects/kube.js';

export const LEGACY_INGRESS_VERSIONS = new Set(['extensions/v1beta1', 'networking.k8s.io/v1beta1']);

interface LegacyBackend {
  serviceName?: string;
  servicePort?: number | string;
  resource?: IngressBackend['resource'];
}

export function isLegacyIngress(obj: { apiVersion?: string; kind?: string }): boolean {
  return obj.kind === 'Ingress' && LEGACY_INGRESS_VERSIONS.has(String(obj.apiVersion));
}

// Only shapes the conversion understands are converted; anything else (a null rule, paths written as a
// string) is passed on as it is, for the shape check to name the field.
export function convertLegacyIngress(obj: { apiVersion?: unknown; kind?: unknown; metadata?: unknown; spec?: unknown }): Ingress {
  const spec = obj.spec;
  if (!isMapping(spec)) return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: obj.metadata, spec } as unknown as Ingress;
  const converted: Record<string, unknown> = {};
  if (spec.ingressClassName !== undefined) converted.ingressClassName = spec.ingressClassName;
  if (spec.backend !== undefined) converted.defaultBackend = convertBackend(spec.backend);
  if (spec.tls !== undefined) converted.tls = spec.tls;
  if (spec.rules !== undefined) converted.rules = Array.isArray(spec.rules) ? spec.rules.map(convertRule) : spec.rules;
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: obj.metadata as Ingress['metadata'], spec: converted as Ingress['spec'] };
}

function convertRule(rule: unknown): unknown {
  if (!isMapping(rule) || !isMapping(rule.http) || !Array.isArray(rule.http.paths)) return rule;
  const paths = rule.http.paths.map((p: unknown) => {
    if (!isMapping(p)) return p;
    const out: Record<string, unknown> = { ...p, pathType: p.pathType ?? 'ImplementationSpecific', backend: convertBackend(p.backend) };
    if (p.path === undefined) delete out.path;
    return out;
  });
  return { ...rule, http: { ...rule.http, paths } };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function convertBackend(backend: unknown): unknown {
  if (!isMapping(backend)) return backend;
  const legacy = backend as LegacyBackend;
  if (legacy.resource) return { resource: legacy.resource };
  if (legacy.serviceName === undefined) return {};
  return { service: { name: legacy.serviceName, port: convertPort(legacy.servicePort) } };
}

// servicePort is an IntOrString: a number is a port number, a string is a port name. Digits written as
// a string ("80") are taken as the number, which is what every author of such a manifest meant.
function convertPort(port: unknown): ServiceBackendPort | undefined {
  if (port === undefined || port === null) return undefined;
  if (typeof port === 'number') return { number: port };
  if (typeof port === 'string' && /^\d+$/.test(port)) return { number: Number(port) };
  return { name: port as string };
}
