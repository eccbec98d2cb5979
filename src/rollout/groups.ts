// The split groups a rollout can grow a version in: every Ingress path, and every Gateway API rule seen
// as a group (its route as the source, its backends, keyed by host, path and type as fleet truth keys it).

import { splitViews } from '../fleet/splits.js';
import type { PathType, RoutingModel, SplitGroup } from '../model/types.js';

export function rolloutGroups(model: RoutingModel): SplitGroup[] {
  return splitViews(model).flatMap((view): SplitGroup[] => {
    if (view.group) return [view.group];
    if (!view.rule) return [];
    // The path type is a label here (`PathPrefix, rule 0`): rollouts only carry it in keys and words.
    return [
      {
        source: view.source,
        host: view.host,
        path: view.path,
        pathType: view.pathType as PathType,
        backends: view.rule.backends,
        rules: [],
        order: view.rule.rule,
      },
    ];
  });
}
