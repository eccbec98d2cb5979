// traceNack: a NACK → the objects whose change the refused resources came from. Pure, so that it can
// be tested with tables. Envoy refuses a version of one type and keeps running the version it last
// accepted; the objects to blame are those behind the refused resources (the ones Envoy's text names,
// else every resource of the type that differs from what it runs) whose form changed between the two
// builds. Objects that did not change cannot have caused the refusal: the running version had them.
//
// What one client may blame is bounded (docs/safety.md): only resources it subscribed to and that
// changed since its last ACK, and nothing at all when it never ACKed the type: a refusal of a first
// version says nothing about which of its objects is wrong, and a hostile client would blame them all.

import { SERVICE_NAME_LABEL, namespaceOf, type KubeObject } from '../objects/kube.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, ROUTE_TYPE, SECRET_TYPE, VIRTUAL_HOST_TYPE, vhdsNamespace, type TypeUrl } from '../proto/type-urls.js';
import { hostOfGrpcRouteConfig } from '../resources/grpc.js';
import type { RoutingView, Snapshot } from '../snapshot/snapshot.js';
import { snapshotVersionOf } from '../snapshot/sent-version.js';
import { byKey as byKeyOf } from '../order.js';

/** One published build: its snapshot and the form of every object it was made from. */
export interface BuildRecord {
  snapshot: Snapshot;
  accepted: ReadonlyMap<string, KubeObject>;
}

export interface NackInput {
  typeUrl: TypeUrl;
  version: string;
  running: string | undefined;
  message: string;
  /** The view of the snapshot the refusing client takes (a gRPC client's routes are not Envoy's); whole by default. */
  view?: RoutingView;
  /** Whether the refusing client subscribed to a resource of the type (a forged text may name others). */
  subscribed?: (name: string) => boolean;
}

export interface Suspect {
  /** `Kind/<namespace>/<name>`. */
  key: string;
  /** The refused form. */
  object: KubeObject;
  /** The form the client still runs, if it had one. */
  running: KubeObject | undefined;
  /** The refused resources built from it. */
  resources: string[];
}

export type Trace = { suspects: Suspect[] } | { suspects: []; why: string };

export function traceNack(nack: NackInput, history: readonly BuildRecord[]): Trace {
  const view = nack.view ?? 'whole';
  const find = (version: string) => findBuild(history, nack.typeUrl, view, version);
  const refused = find(nack.version);
  if (!refused) return { suspects: [], why: 'the refused version is older than the builds splitplane remembers' };
  if (nack.running === undefined) return { suspects: [], why: 'this client never accepted a version of the type, so its refusal blames nothing but itself' };
  const running = find(nack.running);
  if (!running) return { suspects: [], why: 'the version this client runs is older than the builds splitplane remembers, so what changed since is unknown' };
  const refusedResources = refused.snapshot.type(nack.typeUrl, view).resources;
  const runningResources = running.snapshot.type(nack.typeUrl, view).resources;
  const subscribed = nack.subscribed ?? (() => true);
  // Envoy's text may name the refused resources; names outside the client's subscription are ignored.
  const named: string[] = [];
  const changed: string[] = [];
  for (const [name, resource] of refusedResources) {
    if (!subscribed(name)) continue;
    const differs = runningResources.get(name)?.any !== resource.any;
    if (mentions(nack.message, name)) named.push(name);
    if (differs) changed.push(name);
  }
  const candidates = named.length > 0 ? named.filter((name) => changed.includes(name)) : changed;
  if (candidates.length === 0) return { suspects: [], why: 'no resource this client subscribed to differs from what it runs' };

  const byKey = new Map<string, Suspect>();
  for (const resource of candidates) {
    for (const key of objectsBehind(nack.typeUrl, resource, refused.accepted)) {
      const object = refused.accepted.get(key)!;
      const before = running.accepted.get(key);
      if (before === object) continue;
      const suspect = byKey.get(key) ?? { key, object, running: before, resources: [] };
      suspect.resources.push(resource);
      byKey.set(key, suspect);
    }
  }
  if (byKey.size === 0) return { suspects: [], why: `no object behind ${candidates.slice(0, 3).join(', ')} changed since the version the proxy runs` };
  return { suspects: [...byKey.values()].sort(byKeyOf((s) => s.key)) };
}

/** The newest remembered build whose `typeUrl` in `view` is at `version` (a sent version may carry kept clusters). */
export function findBuild(history: readonly BuildRecord[], typeUrl: TypeUrl, view: RoutingView, version: string): BuildRecord | undefined {
  const wanted = snapshotVersionOf(version);
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.snapshot.version(typeUrl, view) === wanted) return history[i];
  return undefined;
}

/** Keys of the objects a resource is built from. */
export function objectsBehind(
  typeUrl: TypeUrl,
  resource: string,
  accepted: ReadonlyMap<string, KubeObject>,
  /** Exact: a host's resource is built from the Ingresses naming it only (no fallback to every Ingress). */
  options: { exact?: boolean } = {},
): string[] {
  if (typeUrl === CLUSTER_TYPE || typeUrl === ENDPOINT_TYPE) {
    // `<namespace>/<service>/<port>`: the Service and its EndpointSlices.
    const [namespace, service] = resource.split('/');
    const keys = [`Service/${namespace}/${service}`];
    for (const [key, object] of accepted) {
      if (object.kind === 'EndpointSlice' && namespaceOf(object) === namespace && object.metadata.labels?.[SERVICE_NAME_LABEL] === service) keys.push(key);
    }
    return keys.filter((k) => accepted.has(k));
  }
  if (typeUrl === SECRET_TYPE) {
    const [namespace, name] = resource.split('/');
    return [`Secret/${namespace}/${name}`].filter((k) => accepted.has(k));
  }
  const ingresses = [...accepted.keys()].filter((k) => k.startsWith('Ingress/'));
  // `<route configuration>/<host>` (VHDS) and `grpc/<host>` (a gRPC client's routes): the Ingresses
  // that name the host (`*`: those with rules for any host, or a default backend).
  const host =
    typeUrl === VIRTUAL_HOST_TYPE && vhdsNamespace(resource) !== undefined
      ? resource.slice(resource.indexOf('/') + 1)
      : typeUrl === ROUTE_TYPE
        ? hostOfGrpcRouteConfig(resource)
        : undefined;
  // A Gateway listener port's own listener and routes (`gateway_<port>`, `gateway_<port>/<host>`) come from
  // the Gateways and the routes attached to them; a host's, from the routes that name it (or none).
  const gatewayPort = /^gateway_\d+(\/|$)/.test(resource);
  const routes = gatewayRoutesBehind(accepted, host);
  if (gatewayPort) {
    const gateways = typeUrl === VIRTUAL_HOST_TYPE ? [] : [...accepted.keys()].filter((k) => k.startsWith('Gateway/'));
    return [...gateways, ...routes];
  }
  if (host !== undefined) {
    const naming = ingresses.filter((key) => {
      const spec = (accepted.get(key) as { spec?: { rules?: Array<{ host?: string } | null>; defaultBackend?: unknown; backend?: unknown } }).spec;
      const rules = spec?.rules ?? [];
      if (host === '*') return !!spec?.defaultBackend || !!spec?.backend || rules.some((r) => !r?.host);
      return rules.some((r) => r?.host === host);
    });
    if (naming.length + routes.length > 0 || options.exact) return [...naming, ...routes];
  }
  // Listeners and routes come from every Ingress together (and the Gateway API routes on their port).
  return [...ingresses, ...routes];
}

/** Keys of the HTTPRoutes and GRPCRoutes used, those naming `host` when one is given (no hostnames: every host). */
function gatewayRoutesBehind(accepted: ReadonlyMap<string, KubeObject>, host: string | undefined): string[] {
  const out: string[] = [];
  for (const [key, object] of accepted) {
    if (object.kind !== 'HTTPRoute' && object.kind !== 'GRPCRoute') continue;
    const hostnames = (object as { spec?: { hostnames?: string[] } }).spec?.hostnames ?? [];
    if (host === undefined || hostnames.length === 0 || hostnames.some((h) => h === host || (h.startsWith('*.') && host.endsWith(h.slice(1))))) out.push(key);
  }
  return out;
}

/** Whether Envoy's text names the resource: `default/a/80` is not named by `default/a/8080`. */
export function mentions(text: string, name: string): boolean {
  const part = /[A-Za-z0-9_./-]/;
  for (let at = text.indexOf(name); at !== -1; at = text.indexOf(name, at + 1)) {
    const before = text.charAt(at - 1);
    // A sentence may end right after the name: "… default/a/80."
    const after = text.slice(at + name.length, at + name.length + 2).replace(/^\.(\s|$)/, '');
    if (!part.test(before) && !part.test(after.charAt(0))) return true;
  }
  return false;
}
