// What a split looks like in words, per Ingress and path: "mini-echo.io/: old-nginx 50% / new-nginx 50%".
// A Normal Event is recorded on the Ingress whenever its words change, so `kubectl describe ingress`
// tells the story of a release.

import type { RoutingModel, SplitGroup } from '../model/types.js';
import { splitViewText, splitViews } from '../fleet/splits.js';

export interface SplitSummary {
  /** The object the Event goes on: Ingress, HTTPRoute or GRPCRoute. */
  kind: string;
  namespace: string;
  /** Its name (an Ingress's, or a route's). */
  ingress: string;
  text: string;
}

/** One summary per split, keyed by object and split; canaries' versions are counted in their main group. */
export function splitSummaries(model: RoutingModel): Map<string, SplitSummary> {
  const out = new Map<string, SplitSummary>();
  for (const view of splitViews(model)) {
    const namespace = view.source.namespace ?? 'default';
    out.set(`${view.kind}/${namespace}/${view.source.name}\u0000${view.host}\u0000${view.path}\u0000${view.pathType}`, {
      kind: view.kind,
      namespace,
      ingress: view.source.name,
      text: splitViewText(view),
    });
  }
  return out;
}

/** "mini-echo.io/ (Prefix): old-nginx 50% / new-nginx 50%": the weights Envoy gets for one group. */
export function splitText(group: SplitGroup): string {
  return splitViewText(group);
}

/** The summaries that are new or changed since `before`. */
export function changedSplits(before: ReadonlyMap<string, SplitSummary>, after: ReadonlyMap<string, SplitSummary>): SplitSummary[] {
  return [...after].filter(([key, s]) => before.get(key)?.text !== s.text).map(([, s]) => s);
}
