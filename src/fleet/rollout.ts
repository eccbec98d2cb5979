// Fleet truth joins the model, the route resources, the snapshot and the streams; xds/ knows only the streams.
// Rollout truth: for every split group, how many connected proxies run the routes that carry its
// current weights, from what each proxy acknowledged ("mini-echo.io/ (Prefix): old-nginx 50% /
// new-nginx 50% applied to 3 of 4 connected proxies at version 5d1e…"). A State-of-the-World proxy carries a host's
// routes in the whole route configuration; a Delta proxy in the host's own VHDS resource; a proxyless
// gRPC client in the host's gRPC route configuration, and only for the hosts it dialed.

import { splitViewText, splitViews } from './splits.js';
import type { RoutingModel } from '../model/types.js';
import { ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../proto/type-urls.js';
import { HTTP_ROUTE_CONFIG } from '../resources/listener.js';
import { vhdsName } from '../resources/route.js';
import { grpcRouteConfigName } from '../resources/grpc.js';
import { gatewayName } from '../resources/gateway-listener.js';
import type { EncodedResource, Snapshot } from '../snapshot/snapshot.js';
import type { AdsStream } from '../xds/ads-stream.js';

export interface GroupRollout {
  /** Ingress, HTTPRoute or GRPCRoute: the object whose split this is. */
  kind?: string;
  /** `<namespace>/<name>` of that object. */
  ingress: string;
  host: string;
  path: string;
  pathType: string;
  /** e.g. `mini-echo.io/ (Prefix): old-nginx 50% / new-nginx 50%`. */
  weights: string;
  /** The same, one entry per backend: what the dashboard draws. */
  backends: Array<{ service: string; cluster: string | null; basisPoints: number; ready: boolean }>;
  /** Header, cookie and query rules before the split, e.g. `canary-by-header x-canary=always (Ingress default/canary)`. */
  rules: string[];
  /** The versions of the route resources carrying these weights: the whole configuration, the host's own, and gRPC's. */
  versions: { whole: string | null; perHost: string | null; grpc: string | null };
  /** Connected proxies running these weights, of the proxies that asked for routes. */
  applied: number;
  connected: number;
  text: string;
}

export function rollout(model: RoutingModel | undefined, snapshot: Snapshot | undefined, streams: ReadonlyArray<AdsStream<unknown>>): GroupRollout[] {
  if (!model || !snapshot) return [];
  const routedEnvoys = streams.filter((s) => s.routing !== 'grpc' && (s.types[ROUTE_TYPE].requested || s.types[VIRTUAL_HOST_TYPE].requested));
  // Streams in step share the map of what they applied: each distinct map is looked at once per host,
  // not once per stream (a thousand Envoys, a thousand hosts).
  type Bucket = Map<ReadonlyMap<string, EncodedResource>, number>;
  const holders = { whole: new Map() as Bucket, perHost: new Map() as Bucket, grpc: new Map() as Bucket };
  const deltaEnvoys = routedEnvoys.filter((s) => s.routing === 'per-host').length;
  const sotwEnvoys = routedEnvoys.length - deltaEnvoys;
  for (const s of routedEnvoys) {
    const [bucket, applied] = s.routing === 'per-host' ? [holders.perHost, s.types[VIRTUAL_HOST_TYPE].applied] : [holders.whole, s.types[ROUTE_TYPE].applied];
    bucket.set(applied, (bucket.get(applied) ?? 0) + 1);
  }
  // A gRPC client holds the routes of the hosts it dialed only: it counts for those hosts.
  const grpcDialing = new Map<string, number>();
  for (const s of streams) {
    if (s.routing !== 'grpc' || !s.types[ROUTE_TYPE].requested) continue;
    for (const name of s.types[ROUTE_TYPE].names) grpcDialing.set(name, (grpcDialing.get(name) ?? 0) + 1);
    holders.grpc.set(s.types[ROUTE_TYPE].applied, (holders.grpc.get(s.types[ROUTE_TYPE].applied) ?? 0) + 1);
  }
  const grpcRoutes = grpcDialing.size > 0 ? snapshot.type(ROUTE_TYPE, 'grpc') : undefined;
  const holding = (bucket: Map<ReadonlyMap<string, EncodedResource>, number>, name: string, version: string | null) =>
    version === null ? 0 : [...bucket].reduce((n, [applied, count]) => (applied.get(name)?.version === version ? n + count : n), 0);
  const out: GroupRollout[] = [];
  // Every split, Ingress paths and Gateway API rules alike, counted against the route configuration
  // that carries it (`ingress_http`, or a Gateway port's own `gateway_<port>`).
  const wholeOf = new Map<string, { version: string | null; applied: number }>();
  for (const view of splitViews(model)) {
    let config = wholeOf.get(view.routeConfig);
    if (!config) {
      const version = snapshot.type(ROUTE_TYPE).resources.get(view.routeConfig)?.version ?? null;
      wholeOf.set(view.routeConfig, (config = { version, applied: holding(holders.whole, view.routeConfig, version) }));
    }
    const hostResource = vhdsName(view.routeConfig, view.vhost);
    const perHost = snapshot.type(VIRTUAL_HOST_TYPE).resources.get(hostResource)?.version ?? null;
    const grpcName = grpcRouteConfigName(view.vhost);
    const grpc = grpcRoutes?.resources.get(grpcName)?.version ?? null;
    const applied = config.applied + holding(holders.perHost, hostResource, perHost) + holding(holders.grpc, grpcName, grpc);
    const dialing = grpcDialing.get(grpcName) ?? 0;
    const connected = routedEnvoys.length + dialing;
    // The versions the count was made against, for the kinds of proxy connected: what a proxy's ACKed
    // version in /debug/clients is compared with.
    const carried: Array<[string, string | null]> = [];
    if (sotwEnvoys > 0 || connected === 0) carried.push(['RDS', config.version]);
    if (deltaEnvoys > 0) carried.push(['VHDS', perHost]);
    if (dialing > 0) carried.push(['gRPC RDS', grpc]);
    const shown = carried.filter((c): c is [string, string] => c[1] !== null).map(([type, v]) => `${v} (${type})`);
    const atVersion = shown.length === 0 ? '' : ` at version${shown.length > 1 ? 's' : ''} ${shown.join(', ')}`;
    const weights = splitViewText(view);
    out.push({
      kind: view.kind,
      ingress: `${view.source.namespace ?? 'default'}/${view.source.name}`,
      host: view.host,
      path: view.path,
      pathType: view.pathType,
      weights,
      backends: view.backends.map((b) => ({ service: b.service, cluster: b.cluster, basisPoints: b.basisPoints, ready: b.ready })),
      rules: view.rules,
      versions: { whole: config.version, perHost, grpc },
      applied,
      connected,
      text: `${weights} applied to ${applied} of ${connected} connected proxies${atVersion}`,
    });
  }
  return out;
}

/** A connected client as the route holders are found: its stream, its node id and its address. */
export interface HoldingClient {
  stream: AdsStream<unknown>;
  address: string;
}

/**
 * Who holds the current routes of each host: the proxies (`node@address`, as load reports are keyed)
 * whose acknowledged routes carry the host's current version. Load reports count only from them: a
 * proxy reports on the weights it runs, and one running an older configuration (or none) is not heard.
 */
export function routeHolders(snapshot: Snapshot | undefined, clients: readonly HoldingClient[]): (host: string) => ReadonlySet<string> {
  if (!snapshot) return () => new Set();
  const perHost = snapshot.type(VIRTUAL_HOST_TYPE).resources;
  let grpcRoutes: ReturnType<Snapshot['type']> | undefined;
  const memo = new Map<string, Set<string>>();
  return (label) => {
    let holders = memo.get(label);
    if (holders) return holders;
    holders = new Set();
    // A host on a Gateway port of its own is `host:port` (fleet/splits.ts): its routes are `gateway_<port>`'s.
    const onPort = /^(.+):(\d+)$/.exec(label);
    const host = onPort ? onPort[1]! : label;
    const routeConfig = onPort ? gatewayName(Number(onPort[2])) : HTTP_ROUTE_CONFIG;
    const whole = snapshot.type(ROUTE_TYPE).resources.get(routeConfig)?.version;
    const hostResource = vhdsName(routeConfig, host);
    const grpcName = grpcRouteConfigName(host);
    for (const { stream, address } of clients) {
      const node = stream.node?.id;
      if (!node) continue;
      let holds: boolean;
      if (stream.routing === 'grpc') {
        grpcRoutes ??= snapshot.type(ROUTE_TYPE, 'grpc');
        const current = grpcRoutes.resources.get(grpcName)?.version;
        holds = current !== undefined && stream.types[ROUTE_TYPE].applied.get(grpcName)?.version === current;
      } else if (stream.routing === 'per-host') {
        const current = perHost.get(hostResource)?.version;
        holds = current !== undefined && stream.types[VIRTUAL_HOST_TYPE].applied.get(hostResource)?.version === current;
      } else holds = whole !== undefined && stream.types[ROUTE_TYPE].applied.get(routeConfig)?.version === whole;
      if (holds) holders.add(`${node}@${address}`);
    }
    memo.set(label, holders);
    return holders;
  };
}
