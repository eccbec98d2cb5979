// The order of a split group's rule routes, before its weighted route.

import type { DraftGroup } from './layout.js';
import { TOTAL_BASIS_POINTS, type Backend, type RouteRule } from './types.js';
import { normaliseRelative } from './weights.js';

// Precedence: service-match rules, then every canary's header rules, then cookie rules; the weighted
// route comes last. A rule whose target cannot take traffic is left out, so its requests fall through
// to the next rule instead of failing.
export function routeRules(draft: DraftGroup, backends: readonly Backend[]): RouteRule[] {
  const rules: RouteRule[] = [];
  const only = (backend: number) => (backends[backend]!.ready ? [{ backend, basisPoints: TOTAL_BASIS_POINTS }] : []);
  const main = mainSplit(draft, backends);
  for (const r of draft.mainRules) {
    const targets = only(r.backend);
    if (targets.length > 0) rules.push({ conditions: [r.condition], targets, reason: r.reason });
  }
  for (const kind of ['headerRules', 'cookieRules'] as const) {
    for (const canary of draft.canaries) {
      for (const r of canary[kind]) {
        const targets = r.to === 'canary' ? only(canary.backend) : main;
        if (targets.length > 0) rules.push({ conditions: [r.condition], targets, reason: `${r.reason} (Ingress ${canary.ref.namespace}/${canary.ref.name})` });
      }
    }
  }
  return rules;
}

/** The main Ingress's own ready versions, weighted as it declares them: where "never" sends requests. */
function mainSplit(draft: DraftGroup, backends: readonly Backend[]): RouteRule['targets'] {
  const ready = backends.slice(0, draft.mainCount).flatMap((b, backend) => (b.ready ? [{ backend, declared: draft.mainDeclared[backend] ?? 0 }] : []));
  if (ready.length === 0) return [];
  let weights = ready.map((r) => r.declared);
  if (weights.every((w) => w === 0)) weights = ready.map(() => 1);
  const bp = normaliseRelative(weights);
  return ready.map(({ backend }, k) => ({ backend, basisPoints: bp[k]! })).filter((b) => b.basisPoints > 0);
}
