// What a split looks like in words, per Ingress and path: "mini-echo.io/: old-nginx 50% / new-nginx 50%".
// A Normal Event is recorded on the Ingress whenever its words change, so `kubectl describe ingress`
// tells the story of a release.

import type { RoutingModel, SplitGroup } from '../model/types.js';

export interface SplitSummary {
  namespace: string;
  ingress: string;
  text: string;
}

/** One summary per group, keyed by Ingress and group; canaries' versions are counted in their main group. */
export function splitSummaries(model: RoutingModel): Map<string, SplitSummary> {
  const out = new Map<string, SplitSummary>();
  const add = (group: SplitGroup) => {
    const namespace = group.source.namespace ?? 'default';
    const text = splitText(group);
    out.set(`${namespace}/${group.source.name}\u0000${group.host}\u0000${group.path}\u0000${group.pathType}`, { namespace, ingress: group.source.name, text });
  };
  for (const vhost of model.virtualHosts) for (const group of vhost.groups) add(group);
  return out;
}

/** "mini-echo.io/ (Prefix): old-nginx 50% / new-nginx 50%": the weights Envoy gets for one group. */
export function splitText(group: SplitGroup): string {
  const shares = group.backends.map((v) => `${v.service} ${percent(v.basisPoints)}`).join(' / ');
  return `${group.host === '*' ? '' : group.host}${group.path} (${group.pathType}): ${shares}`;
}

/** The summaries that are new or changed since `before`. */
export function changedSplits(before: ReadonlyMap<string, SplitSummary>, after: ReadonlyMap<string, SplitSummary>): SplitSummary[] {
  return [...after].filter(([key, s]) => before.get(key)?.text !== s.text).map(([, s]) => s);
}

function percent(basisPoints: number): string {
  return `${(basisPoints / 100).toFixed(2).replace(/\.?0+$/, '')}%`;
}
