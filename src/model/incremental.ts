// A rebuild that redoes only the hosts a change touches. buildModel lays out and resolves every
// Ingress on every change; at 1,000 Ingresses that is most of a weight flip's cost. Routing is
// decided per host (paths claimed per host, canaries joined per host and path), so when only some
// Ingresses changed and nothing else did, the hosts they name, taken with every Ingress that names
// one of them, can be built alone and put in place of those hosts in the last model.
//
// Only the plain case takes this path: Ingresses without a default backend and without TLS (both reach
// beyond their hosts), hosts other than `*`, and Services, EndpointSlices, IngressClasses, Secrets
// and refused forms all exactly as in the last build. Anything else is a full build, and a property
// test checks that both always give the same model and diagnostics.

import { sortDiagnostics, type Diagnostic } from '../objects/diagnostics.js';
import { objectKey, type Ingress, type KubeObject } from '../objects/kube.js';
import { buildModel, type BuildResult, type ModelInput } from './build.js';
import type { AcceptedObjects } from './admission.js';
import { sameObjects } from './identity.js';
import type { ClusterModel, RoutingModel, SplitGroup, VirtualHostModel } from './types.js';
import { byKey, byName } from '../order.js';
import { pushAll } from '../lists.js';

/** What the next build needs from the last one. */
export interface ModelMemo {
  input: ModelInput;
  result: BuildResult;
  ingresses: ReadonlyMap<string, Ingress>;
}

/** More changed Ingresses than this and a full build is as cheap. */
const MAX_CHANGED = 16;

export function rememberBuild(input: ModelInput, result: BuildResult): ModelMemo {
  return { input, result, ingresses: new Map(input.ingresses.map((i) => [objectKey(i), i])) };
}

/** buildModel, doing only the touched hosts when it can. `incremental` says which path was taken. */
export function buildModelIncremental(
  input: ModelInput,
  previous: AcceptedObjects,
  memo: ModelMemo | undefined,
): { result: BuildResult; incremental: boolean } {
  const partial = memo && tryPartial(input, previous, memo);
  return partial ? { result: partial, incremental: true } : { result: buildModel(input, previous), incremental: false };
}

interface Reach {
  hosts: string[];
  /** Reaches beyond its hosts: a default backend, TLS, a rule without host, or a shape we do not read. */
  global: boolean;
}

const reaches = new WeakMap<Ingress, Reach>();
function reachOf(ingress: Ingress): Reach {
  let reach = reaches.get(ingress);
  if (reach) return reach;
  const spec = (ingress as { spec?: unknown }).spec as { rules?: unknown; tls?: unknown; defaultBackend?: unknown; backend?: unknown } | undefined;
  const rules = spec?.rules;
  const hosts: string[] = [];
  let global =
    !!spec?.defaultBackend || !!spec?.backend || (Array.isArray(spec?.tls) && spec.tls.length > 0) || (spec?.tls !== undefined && !Array.isArray(spec?.tls));
  if (rules !== undefined && !Array.isArray(rules)) global = true;
  for (const rule of Array.isArray(rules) ? rules : []) {
    const host = (rule as { host?: unknown } | null)?.host;
    if (typeof host === 'string' && host !== '') hosts.push(host.toLowerCase());
    else global = true;
  }
  const name = (ingress.metadata as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || name.length > 253) global = true;
  reach = { hosts, global };
  reaches.set(ingress, reach);
  return reach;
}

function tryPartial(input: ModelInput, previous: AcceptedObjects, memo: ModelMemo): BuildResult | undefined {
  const last = memo.input;
  if (input.ingressClass !== last.ingressClass || input.rejected !== last.rejected) return undefined;
  if (!sameObjects(input.services, last.services) || !sameObjects(input.endpointSlices, last.endpointSlices)) return undefined;
  if (!sameObjects(input.ingressClasses, last.ingressClasses) || !sameObjects(input.secrets ?? [], last.secrets ?? [])) return undefined;
  // Gateway API routes reach across hosts and ports (listeners, grants): with any of them, build whole.
  if (hasGatewayObjects(input) || hasGatewayObjects(last)) return undefined;
  // The previous accepted forms must be the last build's own (a NACK changes them).
  if (previous !== memo.result.accepted) return undefined;

  const current = new Map<string, Ingress>();
  for (const ingress of input.ingresses) current.set(objectKey(ingress), ingress);
  if (current.size !== input.ingresses.length) return undefined;
  const changed: string[] = [];
  for (const [key, ingress] of current) if (memo.ingresses.get(key) !== ingress) changed.push(key);
  for (const key of memo.ingresses.keys()) if (!current.has(key)) changed.push(key);
  if (changed.length === 0 || changed.length > MAX_CHANGED) return undefined;

  // The hosts the change touches, then every Ingress naming one of them, until no host is added.
  const hosts = new Set<string>();
  for (const key of changed) {
    for (const form of [memo.ingresses.get(key), current.get(key), previous.get(key) as Ingress | undefined]) {
      if (!form) continue;
      const reach = reachOf(form);
      if (reach.global) return undefined;
      for (const h of reach.hosts) hosts.add(h);
    }
  }
  // An Ingress is laid out in its last accepted form when its current one is refused: it reaches the
  // hosts of both.
  const reachOfKey = (key: string): Reach => {
    const now = reachOf(current.get(key)!);
    const acceptedForm = previous.get(key) as Ingress | undefined;
    if (!acceptedForm || acceptedForm === current.get(key)) return now;
    const then = reachOf(acceptedForm);
    return { hosts: [...now.hosts, ...then.hosts], global: now.global || then.global };
  };
  const byHost = new Map<string, string[]>();
  for (const key of current.keys()) {
    const reach = reachOfKey(key);
    for (const h of reach.hosts) {
      const list = byHost.get(h);
      if (list) list.push(key);
      else byHost.set(h, [key]);
    }
  }
  // A changed Ingress is built even when it names no host: its diagnostics are made there.
  const closure = new Set<string>(changed.filter((key) => current.has(key)));
  const queue = [...hosts];
  while (queue.length > 0) {
    for (const key of byHost.get(queue.pop()!) ?? []) {
      if (closure.has(key)) continue;
      const reach = reachOfKey(key);
      if (reach.global) return undefined;
      closure.add(key);
      for (const h of reach.hosts) {
        if (!hosts.has(h)) {
          hosts.add(h);
          queue.push(h);
        }
      }
    }
  }
  if (hosts.has('*')) return undefined;

  const model = memo.result.model;
  // Every host of the last model carries the default backend (a marked copy on HTTPS hosts): the new
  // hosts take the plain one.
  const withDefault = model.virtualHosts.filter((v) => v.defaultBackend);
  const plainDefault = withDefault.find((v) => !v.defaultBackend!.redirectToHttps)?.defaultBackend;
  if (withDefault.length > 0 && !plainDefault) return undefined;
  if (model.tlsHosts.some((t) => hosts.has(t.host.toLowerCase()))) return undefined;

  const part = buildModel({ ...input, ingresses: input.ingresses.filter((i) => closure.has(objectKey(i))) }, previous);
  if (part.model.tlsHosts.length > 0) return undefined;

  // The routing: the other hosts as they were, the touched ones as built now.
  const kept = model.virtualHosts.filter((v) => !hosts.has(v.host));
  const built: VirtualHostModel[] = part.model.virtualHosts.map((v) => (plainDefault ? { ...v, defaultBackend: plainDefault } : v));
  if (built.some((v) => !hosts.has(v.host))) return undefined;
  const virtualHosts = [...kept, ...built].sort(byKey((v) => v.host));
  const clusters = clustersOf(virtualHosts, [part.model.clusters, model.clusters]);
  if (!clusters) return undefined;
  const next: RoutingModel = { virtualHosts, clusters, tlsHosts: model.tlsHosts, secrets: model.secrets };

  // What was accepted: the touched Ingresses as built now, everything else as before.
  const accepted = new Map<string, KubeObject>();
  for (const [key, object] of memo.result.accepted) if (!closure.has(key) && !changed.includes(key)) accepted.set(key, object);
  for (const key of closure) {
    const object = part.accepted.get(key);
    if (object) accepted.set(key, object);
  }

  const diagnostics = mergeDiagnostics(input.ingresses, closure, changed, memo.result.diagnostics, part.diagnostics);
  if (!diagnostics) return undefined;
  return { model: next, diagnostics, accepted };
}

function hasGatewayObjects(input: ModelInput): boolean {
  const g = input.gateway;
  return !!g && (g.gatewayClasses.length > 0 || g.gateways.length > 0 || g.httpRoutes.length > 0 || g.grpcRoutes.length > 0);
}

/** The clusters the hosts send traffic to, each the object a build made for it; undefined if one is missing. */
function clustersOf(virtualHosts: readonly VirtualHostModel[], sources: ReadonlyArray<readonly ClusterModel[]>): ClusterModel[] | undefined {
  const known = new Map<string, ClusterModel>();
  for (const list of sources) for (const c of list) if (!known.has(c.name)) known.set(c.name, c);
  const used = new Map<string, ClusterModel>();
  const add = (group: SplitGroup | undefined): boolean => {
    for (const v of group?.backends ?? []) {
      if (v.cluster === null || used.has(v.cluster)) continue;
      const c = known.get(v.cluster);
      if (!c) return false;
      used.set(v.cluster, c);
    }
    return true;
  };
  for (const vhost of virtualHosts) {
    for (const group of vhost.groups) if (!add(group)) return undefined;
    if (!add(vhost.defaultBackend)) return undefined;
  }
  return [...used.values()].sort(byName);
}

const ingressKeyOf = (d: Diagnostic) => `Ingress/${d.object.namespace ?? 'default'}/${d.object.name}`;

// In the order a full build gives: the other kinds' first, then each Ingress's in list order.
function mergeDiagnostics(
  ingresses: readonly Ingress[],
  closure: ReadonlySet<string>,
  changed: readonly string[],
  before: readonly Diagnostic[],
  part: readonly Diagnostic[],
): Diagnostic[] | undefined {
  const others: Diagnostic[] = [];
  const byIngress = new Map<string, Diagnostic[]>();
  for (const d of before) {
    if (d.object.kind !== 'Ingress') {
      others.push(d);
      continue;
    }
    const key = ingressKeyOf(d);
    if (closure.has(key) || changed.includes(key)) continue;
    const list = byIngress.get(key);
    if (list) list.push(d);
    else byIngress.set(key, [d]);
  }
  for (const d of part) {
    if (d.object.kind !== 'Ingress') continue;
    const key = ingressKeyOf(d);
    if (!closure.has(key)) return undefined;
    const list = byIngress.get(key);
    if (list) list.push(d);
    else byIngress.set(key, [d]);
  }
  const out = [...others];
  for (const ingress of ingresses) {
    const key = objectKey(ingress);
    const list = byIngress.get(key);
    if (!list) continue;
    pushAll(out, list);
    byIngress.delete(key);
  }
  // A diagnostic that belongs to no listed Ingress: the order cannot be told, so build whole.
  if (byIngress.size > 0) return undefined;
  return sortDiagnostics(out);
}
