// Gateway listeners on the Ingress HTTP port share its route configuration, so a team can move one path
// at a time from an annotated Ingress to an HTTPRoute without moving clients. Where both claim the same
// host and path (an Ingress path and an HTTPRoute match on the path alone: Exact with Exact, Prefix or
// ImplementationSpecific with PathPrefix, trailing slashes ignored), the older object keeps it (creation
// time, then kind/namespace/name), as between two Ingresses, and the other gets a warning naming it.
// Everything else of both is served: Gateway API matches are tried first, in their own precedence, then
// the Ingress paths.

import type { Diagnostic, ObjectRef } from '../objects/diagnostics.js';
import type { KubeObject } from '../objects/kube.js';
import type { GatewayRouteEntry, SplitGroup, VirtualHostModel } from '../model/types.js';
import { byKey, compareStrings } from '../order.js';

export function mergeIngressPort(
  ingressHosts: readonly VirtualHostModel[],
  gatewayHosts: readonly VirtualHostModel[],
  objects: ReadonlyMap<string, KubeObject>,
  diagnostics: Diagnostic[],
): VirtualHostModel[] {
  if (gatewayHosts.length === 0) return [...ingressHosts];
  const byHost = new Map(ingressHosts.map((v) => [v.host, v]));
  for (const gateway of gatewayHosts) {
    const ingress = byHost.get(gateway.host);
    if (!ingress) {
      byHost.set(gateway.host, gateway);
      continue;
    }
    const entries: GatewayRouteEntry[] = [];
    const lost = new Set<SplitGroup>();
    for (const entry of gateway.gatewayRoutes ?? []) {
      const rival = ingress.groups.find((g) => !lost.has(g) && samePath(g, entry));
      if (!rival) {
        entries.push(entry);
        continue;
      }
      const ingressFirst = older(rival.source, entry.rule.source, objects);
      const where = `${gateway.host} ${entry.match.path.type} ${entry.match.path.value}`;
      if (ingressFirst) {
        diagnostics.push({
          severity: 'warning',
          object: entry.rule.source,
          field: `spec.rules[${entry.rule.rule}].matches[${entry.matchIndex}]`,
          message: `${where} is already served by Ingress ${rival.source.namespace}/${rival.source.name}, which is older; this match is not served on the Ingress port`,
        });
      } else {
        lost.add(rival);
        entries.push(entry);
        diagnostics.push({
          severity: 'warning',
          object: rival.source,
          field: 'spec.rules',
          message: `${gateway.host} ${rival.pathType} ${rival.path} is already served by ${entry.rule.source.kind} ${entry.rule.source.namespace}/${entry.rule.source.name}, which is older; this path is ignored`,
        });
      }
    }
    byHost.set(gateway.host, { ...ingress, groups: ingress.groups.filter((g) => !lost.has(g)), gatewayRoutes: entries });
  }
  return [...byHost.values()].sort(byKey((v) => v.host));
}

function samePath(group: SplitGroup, entry: GatewayRouteEntry): boolean {
  const match = entry.match;
  if (match.conditions.length > 0 || match.method !== undefined || group.rules.length > 0) return false;
  if (match.path.type === 'Exact') return group.pathType === 'Exact' && group.path === match.path.value;
  if (match.path.type !== 'PathPrefix' || group.pathType === 'Exact') return false;
  const trim = (p: string) => p.replace(/\/+$/, '') || '/';
  return trim(group.path) === trim(match.path.value);
}

function older(a: ObjectRef, b: ObjectRef, objects: ReadonlyMap<string, KubeObject>): boolean {
  const time = (ref: ObjectRef) => objects.get(`${ref.kind}/${ref.namespace ?? 'default'}/${ref.name}`)?.metadata.creationTimestamp ?? '';
  const ta = time(a);
  const tb = time(b);
  if (ta !== tb) return ta < tb;
  return compareStrings(`${a.kind}/${a.namespace}/${a.name}`, `${b.kind}/${b.namespace}/${b.name}`) < 0;
}
