// Legacy Ingress (extensions/v1beta1, networking.k8s.io/v1beta1, the seed's form) converted to the v1
// shape on read, so the model only knows one shape. Field names follow the Kubernetes conversion code:
// serviceName/servicePort become service.name/service.port, spec.backend becomes spec.defaultBackend,
// and a missing pathType becomes ImplementationSpecific (the v1beta1 default).

import type { HTTPIngressPath, Ingress, IngressBackend, ServiceBackendPort } from '../model/kube-types.js';

export const LEGACY_INGRESS_VERSIONS = new Set(['extensions/v1beta1', 'networking.k8s.io/v1beta1']);

interface LegacyBackend {
  serviceName?: string;
  servicePort?: number | string;
  resource?: IngressBackend['resource'];
}

export function isLegacyIngress(obj: { apiVersion?: string; kind?: string }): boolean {
  return obj.kind === 'Ingress' && LEGACY_INGRESS_VERSIONS.has(String(obj.apiVersion));
}

export function convertLegacyIngress(obj: Record<string, any>): Ingress {
  const spec = (obj.spec ?? {}) as Record<string, any>;
  const converted: Ingress['spec'] = {};
  if (spec.ingressClassName !== undefined) converted.ingressClassName = spec.ingressClassName;
  if (spec.backend !== undefined) converted.defaultBackend = convertBackend(spec.backend);
  if (spec.tls !== undefined) converted.tls = spec.tls;
  if (Array.isArray(spec.rules)) {
    converted.rules = spec.rules.map((rule: Record<string, any>) => ({
      ...(rule.host !== undefined ? { host: rule.host } : {}),
      ...(rule.http
        ? {
            http: {
              paths: (Array.isArray(rule.http.paths) ? rule.http.paths : []).map(
                (p: Record<string, any>): HTTPIngressPath => ({
                  ...(p.path !== undefined ? { path: p.path } : {}),
                  pathType: p.pathType ?? 'ImplementationSpecific',
                  backend: convertBackend(p.backend),
                }),
              ),
            },
          }
        : {}),
    }));
  }
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: obj.metadata, spec: converted };
}

function convertBackend(backend: LegacyBackend | undefined): IngressBackend {
  if (!backend || typeof backend !== 'object') return {};
  if (backend.resource) return { resource: backend.resource };
  if (backend.serviceName === undefined) return {};
  return { service: { name: backend.serviceName, port: convertPort(backend.servicePort) } };
}

// servicePort is an IntOrString: a number is a port number, a string is a port name. Digits written as
// a string ("80") are taken as the number, which is what every author of such a manifest meant.
function convertPort(port: number | string | undefined): ServiceBackendPort | undefined {
  if (port === undefined) return undefined;
  if (typeof port === 'number') return { number: port };
  if (/^\d+$/.test(port)) return { number: Number(port) };
  return { name: port };
}
