// Keeping the identity of what did not change. Each build makes a new model; a virtual host equal to
// the one of the last build is replaced by that one, so translation and encoding, which memoise by
// identity, skip it, and a one-Ingress change costs one host, not a thousand.

import type { RoutingModel, VirtualHostModel } from './types.js';

/** `next` with every virtual host that equals one of `previous` replaced by the previous object. */
export function keepIdentity(previous: RoutingModel | undefined, next: RoutingModel): RoutingModel {
  if (!previous) return next;
  const virtualHosts = next.virtualHosts.slice();
  let reused = 0;
  // After a partial build most hosts are the very objects of the last one, at the same place: those are
  // passed by position, and a map of every host is made only when the lists do not line up.
  const before = previous.virtualHosts;
  let byHost: Map<string, VirtualHostModel> | undefined;
  for (let i = 0; i < virtualHosts.length; i++) {
    const v = virtualHosts[i]!;
    const there = before[i];
    if (there === v) continue;
    let old = there;
    if (old?.host !== v.host) {
      byHost ??= new Map(before.map((b) => [b.host, b]));
      old = byHost.get(v.host);
    }
    if (old && same(old, v)) {
      virtualHosts[i] = old;
      reused++;
    }
  }
  return reused === 0 ? next : { ...next, virtualHosts };
}

/** Whether two lists hold the very same objects, in the same order. */
export function sameObjects<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Structural equality of plain data (what the model is made of: no functions, no cycles). */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}
