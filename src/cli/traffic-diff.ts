// How a change moves traffic, per host and path, in words:
//   mini-echo.io/: old-nginx 100% → 50%, new-nginx 0% → 50%
// Weights are what Envoy gets (after readiness). Paths whose weights do not change are not listed.

import { compareStrings } from '../order.js';
import type { RoutingModel, SplitGroup } from '../model/types.js';

/** Per host and path: the share of each backend, in basis points, in listing order. */
function shares(model: RoutingModel): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  const add = (label: string, group: SplitGroup) => {
    const services = new Map<string, number>();
    for (const b of group.backends) {
      // Keyed by Service and port (`web/8080`); shown by Service name alone unless it has two ports.
      const name = b.cluster ? b.cluster.slice(b.cluster.indexOf('/') + 1) : b.service;
      services.set(name, (services.get(name) ?? 0) + b.basisPoints);
    }
    out.set(label, services);
  };
  for (const vhost of model.virtualHosts) {
    for (const group of vhost.groups) add(`${vhost.host}${group.path}${group.pathType === 'Exact' ? ' (Exact)' : ''}`, group);
  }
  const fallback = model.virtualHosts.find((v) => v.defaultBackend)?.defaultBackend;
  if (fallback) add('(default backend)', fallback);
  return out;
}

function percent(basisPoints: number): string {
  return `${(basisPoints / 100).toFixed(2).replace(/\.?0+$/, '')}%`;
}

/** One line per host and path whose weights differ between the two models, sorted by host and path. */
export function trafficChanges(before: RoutingModel, after: RoutingModel): string[] {
  const then = shares(before);
  const now = shares(after);
  const labels = [...new Set([...then.keys(), ...now.keys()])].sort(compareStrings);
  const lines: string[] = [];
  for (const label of labels) {
    const a = then.get(label) ?? new Map<string, number>();
    const b = now.get(label) ?? new Map<string, number>();
    const services = [...new Set([...a.keys(), ...b.keys()])];
    if (services.every((s) => (a.get(s) ?? 0) === (b.get(s) ?? 0))) continue;
    const serviceOf = (name: string) => name.split('/')[0]!;
    const shown = (name: string) => (services.filter((s) => serviceOf(s) === serviceOf(name)).length > 1 ? name : serviceOf(name));
    const moves = services.map((s) => `${shown(s)} ${percent(a.get(s) ?? 0)} → ${percent(b.get(s) ?? 0)}`);
    const note = !then.has(label) ? ' (new path)' : !now.has(label) ? ' (path removed)' : '';
    lines.push(`${label}: ${moves.join(', ')}${note}`);
  }
  return lines;
}
