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

import { insertSorted, sortDiagnostics, type Diagnostic } from '../objects/diagnostics.js';
import { objectKey, type Ingress, type KubeObject } from '../objects/kube.js';
import { buildModel, type BuildResult, type ModelInput } from './build.js';
import type { AcceptedObjects } from './admission.js';
import { same, sameObjects } from './identity.js';
import type { ClusterModel, RoutingModel, SplitGroup, VirtualHostModel } from './types.js';
import { byKey, byName } from '../order.js';
import { pushAll } from '../lists.js';
import { LayeredMap } from './layered-map.js';

/** What the next build needs from the last one. */
export interface ModelMemo {
  input: ModelInput;
  result: BuildResult;
  ingresses: ReadonlyMap<string, Ingress>;
  /** Which Ingresses name each host, made on the first partial build and carried from build to build. */
  index?: HostIndex;
}

/**
 * Which Ingresses name each host (in their current and last accepted forms), and how many virtual hosts
 * send traffic to each cluster. Kept up to date by the partial builds, so a one-Ingress change costs
 * its hosts, not a pass over every Ingress and every virtual host.
 */
interface HostIndex {
  /** The memo this index describes; an index handed on is stale for every other memo. */
  owner: ModelMemo | undefined;
  /** The build's Ingresses by key (the memo's `ingresses`), brought up to date rather than made again. */
  ingresses: Map<string, Ingress>;
  hostsOf: Map<string, readonly string[]>;
  byHost: Map<string, Set<string>>;
  /** Per cluster, the virtual hosts that send it traffic. */
  clusterUse: Map<string, number>;
  /**
   * Where each host and cluster is in the model's lists. A change that keeps the set of hosts and of
   * clusters (a weight, a path, a backend) puts its own in place by position: no pass over 10,000 hosts.
   */
  hostAt: Map<string, number>;
  clusterAt: Map<string, number>;
  /** The default backend every host of the model carries (the plain one), null when none; undefined: TLS only. */
  plainDefault: SplitGroup | null | undefined;
}

/** More changed Ingresses than this and a full build is as cheap. */
const MAX_CHANGED = 16;

/** The memo of a build; `index` is the one a partial build handed on (see buildModelIncremental). */
export function rememberBuild(input: ModelInput, result: BuildResult, index?: HostIndex): ModelMemo {
  let ingresses = index?.ingresses;
  if (!ingresses) {
    ingresses = new Map<string, Ingress>();
    for (const i of input.ingresses) ingresses.set(objectKey(i), i);
  }
  const memo: ModelMemo = { input, result, ingresses };
  if (index) {
    index.owner = memo;
    memo.index = index;
  }
  return memo;
}

/**
 * buildModel, doing only the touched hosts when it can. `incremental` says which path was taken; `index`
 * is the host index brought up to date, for rememberBuild.
 */
export function buildModelIncremental(
  input: ModelInput,
  previous: AcceptedObjects,
  memo: ModelMemo | undefined,
): { result: BuildResult; incremental: boolean; index?: HostIndex } {
  const partial = memo && tryPartial(input, previous, memo);
  return partial ? { result: partial.result, incremental: true, index: partial.index } : { result: buildModel(input, previous), incremental: false };
}

/** The index of the memo's build, made now when the memo has none of its own. */
function indexOf(memo: ModelMemo): HostIndex {
  if (memo.index?.owner === memo) return memo.index;
  const model = memo.result.model;
  // Every host of the model carries the default backend (a marked copy on HTTPS hosts): new hosts take
  // the plain one.
  const withDefault = model.virtualHosts.find((v) => v.defaultBackend);
  const plainDefault = withDefault ? model.virtualHosts.find((v) => v.defaultBackend && !v.defaultBackend.redirectToHttps)?.defaultBackend : null;
  const index: HostIndex = {
    owner: memo,
    ingresses: new Map(memo.ingresses),
    hostsOf: new Map(),
    byHost: new Map(),
    clusterUse: new Map(),
    hostAt: positions(model.virtualHosts, (v) => v.host),
    clusterAt: positions(model.clusters, (c) => c.name),
    plainDefault,
  };
  for (const [key, ingress] of memo.ingresses) indexIngress(index, key, reachWith(ingress, memo.result.accepted.get(key) as Ingress | undefined).hosts);
  for (const vhost of model.virtualHosts) useClusters(index, vhost, 1);
  memo.index = index;
  return index;
}

function positions<T>(list: readonly T[], name: (item: T) => string): Map<string, number> {
  const at = new Map<string, number>();
  for (let i = 0; i < list.length; i++) at.set(name(list[i]!), i);
  return at;
}

function indexIngress(index: HostIndex, key: string, hosts: readonly string[]): void {
  for (const h of index.hostsOf.get(key) ?? []) {
    const keys = index.byHost.get(h);
    keys?.delete(key);
    if (keys?.size === 0) index.byHost.delete(h);
  }
  if (hosts.length === 0) {
    index.hostsOf.delete(key);
    return;
  }
  index.hostsOf.set(key, hosts);
  for (const h of hosts) {
    const keys = index.byHost.get(h);
    if (keys) keys.add(key);
    else index.byHost.set(h, new Set([key]));
  }
}

/**
 * Counts (or uncounts, `delta` -1) the clusters one virtual host sends traffic to, each once; a cluster
 * that comes into use or goes out of it is added to `crossed`.
 */
function useClusters(index: HostIndex, vhost: VirtualHostModel, delta: 1 | -1, crossed?: Set<string>): void {
  const seen = new Set<string>();
  const add = (group: SplitGroup | undefined) => {
    for (const v of group?.backends ?? []) {
      if (v.cluster === null || seen.has(v.cluster)) continue;
      seen.add(v.cluster);
      const n = (index.clusterUse.get(v.cluster) ?? 0) + delta;
      if (n > 0) index.clusterUse.set(v.cluster, n);
      else index.clusterUse.delete(v.cluster);
      if (n === 0 || (n === 1 && delta === 1)) crossed?.add(v.cluster);
    }
  };
  for (const group of vhost.groups) add(group);
  add(vhost.defaultBackend);
}

/** An Ingress laid out in its last accepted form when its current one is refused reaches the hosts of both. */
function reachWith(current: Ingress, acceptedForm: Ingress | undefined): Reach {
  const now = reachOf(current);
  if (!acceptedForm || acceptedForm === current) return now;
  const then = reachOf(acceptedForm);
  return { hosts: [...now.hosts, ...then.hosts], global: now.global || then.global };
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

function tryPartial(input: ModelInput, previous: AcceptedObjects, memo: ModelMemo): { result: BuildResult; index: HostIndex } | undefined {
  const last = memo.input;
  if (input.ingressClass !== last.ingressClass || input.rejected !== last.rejected) return undefined;
  if (!sameObjects(input.services, last.services) || !sameObjects(input.endpointSlices, last.endpointSlices)) return undefined;
  if (!sameObjects(input.ingressClasses, last.ingressClasses) || !sameObjects(input.secrets ?? [], last.secrets ?? [])) return undefined;
  // Gateway API routes reach across hosts and ports (listeners, grants): with any of them, build whole.
  if (hasGatewayObjects(input) || hasGatewayObjects(last)) return undefined;
  // The previous accepted forms must be the last build's own (a NACK changes them).
  if (previous !== memo.result.accepted) return undefined;

  // What changed: the Ingresses that are not the last build's objects, and those gone since. The store
  // lists an edited object where it was, so most are the very object at the same place in the last list.
  const changedNow = new Map<string, Ingress>();
  let unchanged = 0;
  const lastList = last.ingresses;
  for (let i = 0; i < input.ingresses.length; i++) {
    const ingress = input.ingresses[i]!;
    if (lastList[i] === ingress) {
      unchanged++;
      continue;
    }
    const key = objectKey(ingress);
    if (memo.ingresses.get(key) === ingress) unchanged++;
    else if (changedNow.has(key) || changedNow.size >= MAX_CHANGED) return undefined;
    else changedNow.set(key, ingress);
  }
  const changed = [...changedNow.keys()];
  // Some of the last build's Ingresses are neither unchanged nor changed: they are gone.
  if (unchanged + changed.filter((k) => memo.ingresses.has(k)).length < memo.ingresses.size) {
    const present = new Set<string>();
    for (const ingress of input.ingresses) present.add(objectKey(ingress));
    for (const key of memo.ingresses.keys()) if (!present.has(key)) changed.push(key);
  }
  if (changed.length === 0 || changed.length > MAX_CHANGED) return undefined;
  const currentOf = (key: string): Ingress | undefined => (changedNow.has(key) ? changedNow.get(key) : memo.ingresses.get(key));
  const isCurrent = (key: string) => changedNow.has(key) || (memo.ingresses.has(key) && !changed.includes(key));

  // The hosts the change touches, then every Ingress naming one of them, until no host is added.
  const hosts = new Set<string>();
  for (const key of changed) {
    for (const form of [memo.ingresses.get(key), changedNow.get(key), previous.get(key) as Ingress | undefined]) {
      if (!form) continue;
      const reach = reachOf(form);
      if (reach.global) return undefined;
      for (const h of reach.hosts) hosts.add(h);
    }
  }
  const index = indexOf(memo);
  // A changed Ingress is built even when it names no host: its diagnostics are made there.
  const closure = new Set<string>(changed.filter(isCurrent));
  const queue = [...hosts];
  while (queue.length > 0) {
    // The index is the last build's: an unchanged Ingress names the same hosts now, and a changed one
    // is in the closure already, with its hosts of every form.
    for (const key of index.byHost.get(queue.pop()!) ?? []) {
      if (closure.has(key) || !isCurrent(key)) continue;
      const reach = reachWith(currentOf(key)!, previous.get(key) as Ingress | undefined);
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
  const plainDefault = index.plainDefault;
  if (plainDefault === undefined) return undefined;
  if (model.tlsHosts.some((t) => hosts.has(t.host.toLowerCase()))) return undefined;

  // The closure in no particular order: a build orders Ingresses by age, and diagnostics are sorted.
  const part = buildModel({ ...input, ingresses: [...closure].map((key) => currentOf(key)!) }, previous, true);
  if (part.model.tlsHosts.length > 0) return undefined;

  // The routing: the other hosts as they were, the touched ones as built now.
  const built: VirtualHostModel[] = part.model.virtualHosts.map((v) => (plainDefault ? { ...v, defaultBackend: plainDefault } : v));
  if (built.some((v) => !hosts.has(v.host))) return undefined;
  const replaced: VirtualHostModel[] = [];
  for (const h of hosts) {
    const at = index.hostAt.get(h);
    if (at !== undefined) replaced.push(model.virtualHosts[at]!);
  }
  const virtualHosts = replaceHosts(index, model.virtualHosts, hosts, replaced, built);

  // The clusters: counted per virtual host, so only the touched hosts are looked at.
  const crossed = new Set<string>();
  for (const v of replaced) useClusters(index, v, -1, crossed);
  for (const v of built) useClusters(index, v, 1, crossed);
  const clusters = clustersInUse(index, crossed, part.model.clusters, model.clusters);
  if (!clusters) {
    index.owner = undefined; // counted for a build that is not taking place
    return undefined;
  }
  const next: RoutingModel = { virtualHosts, clusters, tlsHosts: model.tlsHosts, secrets: model.secrets };

  // What was accepted: the touched Ingresses as built now, everything else as before.
  const accepted = new LayeredMap<string, KubeObject>(memo.result.accepted);
  for (const key of changed) accepted.delete(key);
  for (const key of closure) {
    const object = part.accepted.get(key);
    if (object) accepted.set(key, object);
    else accepted.delete(key);
  }

  const diagnostics = mergeDiagnostics(memo.ingresses, closure, changed, memo.result.diagnostics, part.diagnostics);
  if (!diagnostics) {
    index.owner = undefined;
    return undefined;
  }
  // The index now describes this build: the touched Ingresses name the hosts of their forms now.
  for (const key of changed) {
    const now = changedNow.get(key);
    if (now) index.ingresses.set(key, now);
    else index.ingresses.delete(key);
  }
  for (const key of changed) if (!isCurrent(key)) indexIngress(index, key, []);
  for (const key of closure) indexIngress(index, key, reachWith(currentOf(key)!, accepted.get(key) as Ingress | undefined).hosts);
  index.owner = undefined;
  return { result: { model: next, diagnostics, accepted }, index };
}

/**
 * The last model's virtual hosts with those of `hosts` (`replaced`, where they were) replaced by `built`.
 * When the same hosts are there before and after, each new one takes the place of the old, and the
 * positions stay as they are; otherwise the lists are merged and the positions counted again.
 */
function replaceHosts(
  index: HostIndex,
  before: readonly VirtualHostModel[],
  hosts: ReadonlySet<string>,
  replaced: readonly VirtualHostModel[],
  built: readonly VirtualHostModel[],
): VirtualHostModel[] {
  if (replaced.length === built.length && built.every((v) => index.hostAt.has(v.host))) {
    const out = before.slice();
    for (const v of built) out[index.hostAt.get(v.host)!] = v;
    return out;
  }
  const out = mergeByHost(before, hosts, built);
  index.hostAt = positions(out, (v) => v.host);
  return out;
}

/** The last model's virtual hosts with those of `hosts` replaced by `built`, in host order, without a sort. */
function mergeByHost(before: readonly VirtualHostModel[], hosts: ReadonlySet<string>, built: readonly VirtualHostModel[]): VirtualHostModel[] {
  const added = [...built].sort(byKey((v) => v.host));
  const out: VirtualHostModel[] = [];
  let i = 0;
  for (const v of before) {
    if (hosts.has(v.host)) continue;
    while (i < added.length && added[i]!.host < v.host) out.push(added[i++]!);
    out.push(v);
  }
  while (i < added.length) out.push(added[i++]!);
  return out;
}

function hasGatewayObjects(input: ModelInput): boolean {
  const g = input.gateway;
  return !!g && (g.gatewayClasses.length > 0 || g.gateways.length > 0 || g.httpRoutes.length > 0 || g.grpcRoutes.length > 0);
}

/**
 * The clusters some virtual host sends traffic to (the index counts them), each the object a build made
 * for it, the part's first (the last build's object when equal, so translation skips it); undefined if
 * one is missing. `crossed`: the clusters that came into use or went out of it during the counting.
 */
function clustersInUse(
  index: HostIndex,
  crossed: ReadonlySet<string>,
  part: readonly ClusterModel[],
  before: readonly ClusterModel[],
): ClusterModel[] | undefined {
  // The same clusters in use as before: each of the part's takes the place of the old one.
  let sameSet = true;
  for (const name of crossed) if (index.clusterAt.has(name) !== index.clusterUse.has(name)) sameSet = false;
  if (sameSet) {
    // The last list itself when every cluster of the part equals the one it would replace.
    let out: ClusterModel[] | undefined;
    for (const c of part) {
      if (!index.clusterUse.has(c.name)) continue;
      const at = index.clusterAt.get(c.name)!;
      if (same(before[at], c)) continue;
      out ??= before.slice();
      out[at] = c;
    }
    return out ?? (before as ClusterModel[]);
  }
  const merged = mergeClusters(index, part, before);
  if (merged) index.clusterAt = positions(merged, (c) => c.name);
  return merged;
}

function mergeClusters(index: HostIndex, part: readonly ClusterModel[], before: readonly ClusterModel[]): ClusterModel[] | undefined {
  const fresh = new Map<string, ClusterModel>();
  for (const c of part) if (index.clusterUse.has(c.name)) fresh.set(c.name, c);
  const out: ClusterModel[] = [];
  let kept = 0;
  for (const c of before) {
    if (!index.clusterUse.has(c.name)) continue;
    kept++;
    const now = fresh.get(c.name);
    out.push(now ?? c);
    fresh.delete(c.name);
  }
  // A name in use that neither build made a cluster for: the whole build decides what to say.
  if (kept + fresh.size !== index.clusterUse.size) return undefined;
  if (fresh.size === 0) return out;
  pushAll(out, [...fresh.values()]);
  return out.sort(byName);
}

const ingressKeyOf = (d: Diagnostic) => `Ingress/${d.object.namespace ?? 'default'}/${d.object.name}`;

/**
 * The last build's diagnostics without those of the touched Ingresses, with the part's in their place,
 * in the sorted order a whole build gives: the last list is sorted already, so the part's few are put in
 * where they go rather than the whole list sorted again.
 */
function mergeDiagnostics(
  lastIngresses: ReadonlyMap<string, Ingress>,
  closure: ReadonlySet<string>,
  changed: readonly string[],
  before: readonly Diagnostic[],
  part: readonly Diagnostic[],
): Diagnostic[] | undefined {
  const out: Diagnostic[] = [];
  for (const d of before) {
    if (d.object.kind !== 'Ingress') {
      out.push(d);
      continue;
    }
    const key = ingressKeyOf(d);
    if (closure.has(key) || changed.includes(key)) continue;
    // A diagnostic that belongs to none of the last build's Ingresses: whose it is cannot be told, so build whole.
    if (!lastIngresses.has(key)) return undefined;
    out.push(d);
  }
  const fresh = sortDiagnostics(part.filter((d) => d.object.kind === 'Ingress'));
  for (const d of fresh) if (!closure.has(ingressKeyOf(d))) return undefined;
  return insertSorted(out, fresh);
}
