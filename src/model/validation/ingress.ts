// Ingress (networking.k8s.io/v1, and legacy forms after conversion): the types of every field the model
// reads, null list entries, and host and name lengths. What the fields mean (path types, ports, weights)
// is judged later, by planning.

import type { Ingress } from '../../objects/kube.js';
import { checkMetadata, keepIdentity } from './metadata.js';
import { DNS1035_LABEL, DNS1123_SUBDOMAIN, IANA_SVC_NAME, quote, type Shape } from './shape.js';

const HOST_MAX = 253;
const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific'] as const;
const LABEL_MAX = 63;

export function checkIngress(object: Record<string, unknown>, shape: Shape): Ingress | undefined {
  const metadata = checkMetadata(object.metadata, shape, DNS1123_SUBDOMAIN);
  const spec = shape.map(object.spec, 'spec');
  if (spec) {
    shape.string(spec.ingressClassName, 'spec.ingressClassName', DNS1123_SUBDOMAIN);
    if (spec.defaultBackend !== undefined && spec.defaultBackend !== null) checkBackend(spec.defaultBackend, 'spec.defaultBackend', shape);
    shape.list(spec.rules, 'spec.rules')?.forEach((value, i) => {
      const field = `spec.rules[${i}]`;
      const rule = shape.entry(value, field, 'a rule with a host and http.paths');
      if (!rule) return;
      checkHost(rule.host, `${field}.host`, shape);
      const http = shape.map(rule.http, `${field}.http`);
      if (!http) return;
      shape.list(http.paths, `${field}.http.paths`)?.forEach((item, j) => {
        const at = `${field}.http.paths[${j}]`;
        const path = shape.entry(item, at, 'a path with a backend');
        if (!path) return;
        shape.string(path.path, `${at}.path`);
        shape.oneOf(path.pathType, `${at}.pathType`, PATH_TYPES);
        if (path.backend !== undefined && path.backend !== null) checkBackend(path.backend, `${at}.backend`, shape);
      });
    });
    shape.list(spec.tls, 'spec.tls')?.forEach((value, i) => {
      const field = `spec.tls[${i}]`;
      const tls = shape.entry(value, field, 'an entry with hosts and secretName');
      if (!tls) return;
      shape.list(tls.hosts, `${field}.hosts`)?.forEach((host, j) => checkHost(host, `${field}.hosts[${j}]`, shape));
      shape.string(tls.secretName, `${field}.secretName`, DNS1123_SUBDOMAIN);
    });
  }
  if (!metadata || shape.sink.hasErrors()) return undefined;
  return keepIdentity(object as unknown as Ingress, metadata);
}

function checkBackend(value: unknown, field: string, shape: Shape): void {
  const backend = shape.map(value, field);
  if (!backend) return;
  const service = shape.map(backend.service, `${field}.service`);
  if (service) {
    shape.string(service.name, `${field}.service.name`, DNS1035_LABEL);
    const port = shape.map(service.port, `${field}.service.port`);
    if (port) {
      shape.integer(port.number, `${field}.service.port.number`, 1, 65535, 'a port number');
      shape.string(port.name, `${field}.service.port.name`, IANA_SVC_NAME);
      if (port.number !== undefined && port.number !== null && port.name !== undefined && port.name !== null) {
        shape.sink.error(`${field}.service.port`, 'sets both number and name: give one of them');
      }
    }
  }
  const resource = shape.map(backend.resource, `${field}.resource`);
  if (resource) {
    for (const key of ['apiGroup', 'kind', 'name']) shape.string(resource[key], `${field}.resource.${key}`);
  }
}

// Host names are judged by planning (wildcards, characters); here only what would make them useless or
// huge: the type and the DNS length limits.
function checkHost(value: unknown, field: string, shape: Shape): void {
  const host = shape.string(value, field);
  if (host === undefined) return;
  if (host.length > HOST_MAX) {
    shape.sink.error(field, `${quote(host)} is longer than ${HOST_MAX} characters, the limit of a DNS name`);
    return;
  }
  const long = host.split('.').find((label) => label.length > LABEL_MAX);
  if (long !== undefined)
    shape.sink.error(field, `${quote(host)} has a label longer than ${LABEL_MAX} characters (${quote(long, 24)}), the limit of a DNS label`);
}
