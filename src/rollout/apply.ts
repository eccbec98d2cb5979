// The weights a rollout serves, put into the routing model. Pure. The model is built from the manifests
// as they are (its groups carry the declared weights); a group under a rollout gets the version's
// weight from the rollout's state and the other versions share the rest in the proportions declared,
// before readiness moves the share of versions that cannot serve, as for any split.

import type { GatewayRule, RoutingModel, SplitGroup, VirtualHostModel } from '../model/types.js';
import { splitViews } from '../fleet/splits.js';
import { TOTAL_BASIS_POINTS } from '../model/types.js';
import { applyReadiness, normaliseRelative } from '../model/weights.js';
import { groupKey } from '../fleet/report.js';

/** What a rollout gives one group: the growing version's weight in basis points. */
export interface RolloutWeight {
  version: string;
  basisPoints: number;
}

/** The declared weights of a group as text: a change of it is a manual edit. */
export function declaredText(group: SplitGroup): string {
  return group.backends.map((b) => `${b.service}=${b.declaredBasisPoints}`).join(',');
}

/** The backend a rollout grows in a group: the last backend with the version's Service (a canary comes last). */
export function targetIndex(group: Pick<SplitGroup, 'backends'>, version: string): number {
  for (let i = group.backends.length - 1; i >= 0; i--) if (group.backends[i]!.service === version) return i;
  return -1;
}

/** Declared basis points with `target` at `basisPoints` and the others sharing the rest as declared. */
export function rolloutDeclared(declared: readonly number[], target: number, basisPoints: number): number[] {
  const others = declared.map((w, i) => (i === target ? 0 : w));
  const rest = TOTAL_BASIS_POINTS - basisPoints;
  // Stable versions all declared at 0 (the manifest gave everything to the version): they share equally.
  const base = others.some((w) => w > 0) ? others : declared.map((_, i) => (i === target ? 0 : 1));
  const shared = normaliseRelative(base, rest);
  shared[target] = basisPoints;
  return shared;
}

export function withRolloutWeights(model: RoutingModel, weights: ReadonlyMap<string, RolloutWeight>): RoutingModel {
  if (weights.size === 0) return model;
  return withGatewayWeights(withIngressWeights(model, weights), weights);
}

function withIngressWeights(model: RoutingModel, weights: ReadonlyMap<string, RolloutWeight>): RoutingModel {
  let changed = false;
  const virtualHosts = model.virtualHosts.map((vhost): VirtualHostModel => {
    let touched = false;
    const groups = vhost.groups.map((group) => {
      const weight = weights.get(groupKey(group));
      if (!weight) return group;
      const target = targetIndex(group, weight.version);
      if (target < 0) return group;
      touched = true;
      return reweigh(group, target, weight.basisPoints);
    });
    if (!touched) return vhost;
    changed = true;
    return { ...vhost, groups };
  });
  return changed ? { ...model, virtualHosts } : model;
}

function reweigh(group: SplitGroup, target: number, basisPoints: number): SplitGroup {
  const declared = rolloutDeclared(
    group.backends.map((b) => b.declaredBasisPoints),
    target,
    basisPoints,
  );
  const { basisPoints: served } = applyReadiness(
    declared,
    group.backends.map((b) => b.ready),
  );
  return {
    ...group,
    backends: group.backends.map((b, i) => ({ ...b, declaredBasisPoints: declared[i]!, basisPoints: served[i]! })),
  };
}

/**
 * Gateway API rules under a rollout: the version's weight from the rollout, the others sharing the rest
 * as declared, and no readiness move (a Gateway API backend keeps its share, as the specification says).
 */
function withGatewayWeights(model: RoutingModel, weights: ReadonlyMap<string, RolloutWeight>): RoutingModel {
  const replaced = new Map<GatewayRule, GatewayRule>();
  for (const view of splitViews(model)) {
    const rule = view.rule;
    const weight = rule && weights.get(groupKey(view));
    if (!rule || !weight || replaced.has(rule)) continue;
    const target = targetIndex(rule, weight.version);
    if (target < 0) continue;
    const declared = rolloutDeclared(
      rule.backends.map((b) => b.declaredBasisPoints),
      target,
      weight.basisPoints,
    );
    replaced.set(rule, { ...rule, backends: rule.backends.map((b, i) => ({ ...b, declaredBasisPoints: declared[i]!, basisPoints: declared[i]! })) });
  }
  if (replaced.size === 0) return model;
  const hosts = (list: readonly VirtualHostModel[]) =>
    list.map((vhost) =>
      vhost.gatewayRoutes?.some((e) => replaced.has(e.rule))
        ? { ...vhost, gatewayRoutes: vhost.gatewayRoutes.map((e) => (replaced.has(e.rule) ? { ...e, rule: replaced.get(e.rule)! } : e)) }
        : vhost,
    );
  const out: RoutingModel = { ...model, virtualHosts: hosts(model.virtualHosts) };
  if (model.gatewayPorts) out.gatewayPorts = model.gatewayPorts.map((p) => ({ ...p, virtualHosts: hosts(p.virtualHosts) }));
  return out;
}
