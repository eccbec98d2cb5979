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
import { sameObjects } from './identity.js';
import type { RoutingModel, VirtualHostModel } from './types.js';
import { LayeredMap } from './layered-map.js';
import { clustersInUse, indexIngress, positions, replaceHosts, useClusters, type HostIndex } from './host-index.js';
import { reachOf, reachWith } from './reach.js';

/** What the next build needs from the last one. */
export interface ModelMemo {
  input: ModelInput;
  result: BuildResult;
  ingresses: ReadonlyMap<string, Ingress>;
  /** Which Ingresses name each host, made on the first partial build and carried from build to build. */
  index?: HostIndex;
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

function hasGatewayObjects(input: ModelInput): boolean {
  const g = input.gateway;
  return !!g && (g.gatewayClasses.length > 0 || g.gateways.length > 0 || g.httpRoutes.length > 0 || g.grpcRoutes.length > 0);
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
