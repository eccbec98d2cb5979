// Rollout truth: for every split group, how many connected proxies run the routes that carry its
// current weights, from what each proxy acknowledged ("mini-echo.io/ (Prefix): old-nginx 50% /
// new-nginx 50% applied to 3 of 4 connected proxies"). A State-of-the-World proxy carries a host's
// routes in the whole route configuration; a Delta proxy in the host's own VHDS resource.

import { splitText } from '../kube/split-summary.js';
import type { RoutingModel } from '../model/types.js';
import { ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../proto/type-urls.js';
import { HTTP_ROUTE_CONFIG } from '../resources/listener.js';
import { vhdsName } from '../resources/route.js';
import type { EncodedResource, Snapshot } from '../snapshot/snapshot.js';
import type { AdsStream } from './ads-stream.js';

export interface GroupRollout {
  ingress: string;
  host: string;
  path: string;
  pathType: string;
  /** e.g. `mini-echo.io/ (Prefix): old-nginx 50% / new-nginx 50%`. */
  weights: string;
  /** The versions of the route resources carrying these weights: the whole configuration and the host's own. */
  versions: { whole: string | null; perHost: string | null };
  /** Connected proxies running these weights, of the proxies that asked for routes. */
  applied: number;
  connected: number;
  text: string;
}

export function rollout(model: RoutingModel | undefined, snapshot: Snapshot | undefined, streams: ReadonlyArray<AdsStream<unknown>>): GroupRollout[] {
  if (!model || !snapshot) return [];
  const routed = streams.filter((s) => s.types[ROUTE_TYPE].requested || s.types[VIRTUAL_HOST_TYPE].requested);
  const whole = snapshot.type(ROUTE_TYPE).resources.get(HTTP_ROUTE_CONFIG)?.version ?? null;
  // Streams in step share the map of what they applied: each distinct map is looked at once per host,
  // not once per stream (a thousand Envoys, a thousand hosts).
  const holders = { whole: new Map<ReadonlyMap<string, EncodedResource>, number>(), perHost: new Map<ReadonlyMap<string, EncodedResource>, number>() };
  for (const s of routed) {
    const [bucket, applied] = s.routing === 'per-host' ? [holders.perHost, s.types[VIRTUAL_HOST_TYPE].applied] : [holders.whole, s.types[ROUTE_TYPE].applied];
    bucket.set(applied, (bucket.get(applied) ?? 0) + 1);
  }
  const holding = (bucket: Map<ReadonlyMap<string, EncodedResource>, number>, name: string, version: string | null) =>
    version === null ? 0 : [...bucket].reduce((n, [applied, count]) => (applied.get(name)?.version === version ? n + count : n), 0);
  const wholeApplied = holding(holders.whole, HTTP_ROUTE_CONFIG, whole);
  const out: GroupRollout[] = [];
  for (const vhost of model.virtualHosts) {
    const hostResource = vhdsName(HTTP_ROUTE_CONFIG, vhost.host);
    const perHost = snapshot.type(VIRTUAL_HOST_TYPE).resources.get(hostResource)?.version ?? null;
    const applied = wholeApplied + holding(holders.perHost, hostResource, perHost);
    for (const group of vhost.groups) {
      const weights = splitText(group);
      out.push({
        ingress: `${group.source.namespace ?? 'default'}/${group.source.name}`,
        host: vhost.host,
        path: group.path,
        pathType: group.pathType,
        weights,
        versions: { whole, perHost },
        applied,
        connected: routed.length,
        text: `${weights} applied to ${applied} of ${routed.length} connected proxies`,
      });
    }
  }
  return out;
}
