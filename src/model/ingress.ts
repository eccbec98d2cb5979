// One Ingress → its split groups, with structural checks. Pure: the caller supplies the sink.
// A split group is the set of path entries with the same (host, path, pathType); its backends, in
// manifest order, are the group's versions.

import type { Diagnostic, DiagnosticSink } from '../objects/diagnostics.js';
import type { Ingress, IngressBackend } from '../objects/kube.js';
import type { DeclaredBackend, PathType } from './types.js';
import { ok, type Result } from '../objects/result.js';

export interface ParsedGroup {
  host: string;
  path: string;
  pathType: PathType;
  backends: DeclaredBackend[];
  /** Field of the first path entry of the group, for diagnostics about the group as a whole. */
  field: string;
  order: number;
}

export interface ParsedIngress {
  groups: ParsedGroup[];
  defaultBackend?: ParsedGroup;
}

const PATH_TYPES: ReadonlySet<string> = new Set(['Exact', 'Prefix', 'ImplementationSpecific']);
// RFC 1123 host names, optionally with one leading `*.` label, as the Ingress API validates them.
export const HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function groupLabel(group: Pick<ParsedGroup, 'host' | 'path' | 'pathType'>): string {
  return `${group.host === '' ? '*' : group.host}${group.path} (${group.pathType})`;
}

export function parseIngress(ingress: Ingress, sink: DiagnosticSink): ParsedIngress {
  const groups = new Map<string, ParsedGroup>();
  const spec = ingress.spec ?? {};
  const rules = Array.isArray(spec.rules) ? spec.rules : [];
  rules.forEach((rule, i) => {
    const host = typeof rule.host === 'string' ? rule.host : '';
    if (host !== '' && !HOST.test(host)) {
      sink.error(
        `spec.rules[${i}].host`,
        `${JSON.stringify(host)} is not a valid host: use a DNS name such as mini-echo.io, or a wildcard such as *.mini-echo.io`,
      );
      return;
    }
    const paths = rule.http?.paths;
    if (!Array.isArray(paths)) {
      if (rule.http !== undefined) sink.error(`spec.rules[${i}].http.paths`, 'must be a list of paths');
      return;
    }
    paths.forEach((entry, j) => {
      const field = `spec.rules[${i}].http.paths[${j}]`;
      const pathType = entry.pathType ?? 'ImplementationSpecific';
      if (!PATH_TYPES.has(pathType)) {
        sink.error(`${field}.pathType`, `${JSON.stringify(pathType)} is not a path type: use Exact, Prefix or ImplementationSpecific`);
        return;
      }
      const path = entry.path === undefined || entry.path === '' ? '/' : String(entry.path);
      if (!path.startsWith('/')) {
        sink.error(`${field}.path`, `${JSON.stringify(path)} must start with "/"`);
        return;
      }
      // Control characters would reach Envoy in route matches and Set-Cookie headers, which it refuses.
      // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
      if (/[?#\s\u0000-\u001f\u007f]/.test(path)) {
        sink.error(`${field}.path`, `${JSON.stringify(path)} may not contain "?", "#", white space or control characters`);
        return;
      }
      const declared = declaredBackend(entry.backend, `${field}.backend`, sink);
      if (!declared.ok) return;
      const key = `${host}\u0000${path}\u0000${pathType}`;
      const group = groups.get(key) ?? { host, path, pathType: pathType as PathType, backends: [], field, order: groups.size };
      group.backends.push(declared.value);
      groups.set(key, group);
    });
  });
  const parsed: ParsedIngress = { groups: [...groups.values()] };
  if (spec.defaultBackend !== undefined) {
    const declared = declaredBackend(spec.defaultBackend, 'spec.defaultBackend', sink);
    if (declared.ok)
      parsed.defaultBackend = { host: '', path: '/', pathType: 'Prefix', backends: [declared.value], field: 'spec.defaultBackend', order: groups.size };
  }
  if (parsed.groups.length === 0 && !parsed.defaultBackend && !sink.hasErrors()) {
    sink.warning('spec.rules', 'has no paths and no defaultBackend, so this Ingress serves nothing');
  }
  return parsed;
}

function declaredBackend(backend: IngressBackend | undefined, field: string, sink: DiagnosticSink): Result<DeclaredBackend, Diagnostic> {
  const mark = sink.mark();
  if (!backend || typeof backend !== 'object') {
    sink.error(field, 'is missing: name a service and a port');
    return sink.failedSince(mark);
  }
  if (backend.resource) {
    sink.error(`${field}.resource`, 'resource backends are not supported by splitplane: use a service backend');
    return sink.failedSince(mark);
  }
  const service = backend.service;
  if (!service || typeof service.name !== 'string' || service.name === '') {
    sink.error(`${field}.service.name`, 'is missing: name the Service that serves this path');
    return sink.failedSince(mark);
  }
  const port = service.port;
  if (port?.number !== undefined) {
    if (!Number.isInteger(port.number) || port.number < 1 || port.number > 65535) {
      sink.error(`${field}.service.port.number`, `${JSON.stringify(port.number)} is not a port number (1-65535)`);
      return sink.failedSince(mark);
    }
    return ok({ service: service.name, port: port.number, field });
  }
  if (typeof port?.name === 'string' && port.name !== '') return ok({ service: service.name, port: port.name, field });
  sink.error(`${field}.service.port`, 'is missing: give the Service port as number or name');
  return sink.failedSince(mark);
}
