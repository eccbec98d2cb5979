// The index a partial build carries from build to build (model/incremental.ts): which Ingresses name
// each host, how many virtual hosts send traffic to each cluster, and where each host and cluster sits
// in the model's lists, so that a change costs its hosts, not a pass over the whole model.

import type { Ingress } from '../objects/kube.js';
import { same } from './identity.js';
import type { ClusterModel, SplitGroup, VirtualHostModel } from './types.js';
import { byKey, byName } from '../order.js';
import { pushAll } from '../lists.js';

/**
 * Which Ingresses name each host (in their current and last accepted forms), and how many virtual hosts
 * send traffic to each cluster. Kept up to date by the partial builds, so a one-Ingress change costs
 * its hosts, not a pass over every Ingress and every virtual host.
 */
export interface HostIndex {
  /** The memo this index describes; an index handed on is stale for every other memo. */
  owner: object | undefined;
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

export function positions<T>(list: readonly T[], name: (item: T) => string): Map<string, number> {
  const at = new Map<string, number>();
  for (let i = 0; i < list.length; i++) at.set(name(list[i]!), i);
  return at;
}

export function indexIngress(index: HostIndex, key: string, hosts: readonly string[]): void {
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
export function useClusters(index: HostIndex, vhost: VirtualHostModel, delta: 1 | -1, crossed?: Set<string>): void {
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

/**
 * The last model's virtual hosts with those of `hosts` (`replaced`, where they were) replaced by `built`.
 * When the same hosts are there before and after, each new one takes the place of the old, and the
 * positions stay as they are; otherwise the lists are merged and the positions counted again.
 */
export function replaceHosts(
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

/**
 * The clusters some virtual host sends traffic to (the index counts them), each the object a build made
 * for it, the part's first (the last build's object when equal, so translation skips it); undefined if
 * one is missing. `crossed`: the clusters that came into use or went out of it during the counting.
 */
export function clustersInUse(
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
