// The split groups a rollout can grow a version in: every Ingress path, and every Gateway API rule seen
// as a group (its route as the source, its backends, keyed by host, path and type as fleet truth keys it).
// A rule's group is made once per rule object, so an unchanged rule is the same group from build to build.

import { splitViews } from '../fleet/splits.js';
import type { GatewayRule, PathType, RoutingModel, SplitGroup } from '../model/types.js';

const ruleGroups = new WeakMap<GatewayRule, Map<string, SplitGroup>>();

export function rolloutGroups(model: RoutingModel): SplitGroup[] {
  const out: SplitGroup[] = [];
  for (const view of splitViews(model)) {
    if (view.group) {
      out.push(view.group);
      continue;
    }
    if (!view.rule) continue;
    const key = `${view.host}\u0000${view.path}\u0000${view.pathType}`;
    let byKey = ruleGroups.get(view.rule);
    if (!byKey) ruleGroups.set(view.rule, (byKey = new Map()));
    let group = byKey.get(key);
    if (!group) {
      // The path type is a label here (`PathPrefix, rule 0`): rollouts only carry it in keys and words.
      group = {
        source: view.source,
        host: view.host,
        path: view.path,
        pathType: view.pathType as PathType,
        backends: view.rule.backends,
        rules: [],
        order: view.rule.rule,
      };
      byKey.set(key, group);
    }
    out.push(group);
  }
  return out;
}
