// Resolving a laid-out group: Services, ports and ready endpoints for each version, declared weights
// turned into what Envoy gets (readiness moves a share to the ready versions), and the rule routes in
// precedence order.

import { resolveBackend, type ClusterState, type Resolution } from './backends.js';
import { sameObjects } from './identity.js';
import { groupLabel } from './ingress.js';
import type { DraftGroup } from './layout.js';
import type { PlannedGroup } from './plan.js';
import { TOTAL_BASIS_POINTS, type ClusterModel, type EndpointAddress, type SplitGroup, type Backend } from './types.js';
import { applyReadiness, normaliseRelative } from './weights.js';
import { routeRules } from './rule-order.js';
import { stickyValues } from './dialects/sticky.js';

/** Declared basis points of every version: the main Ingress's split scaled into what the canaries leave. */
export function combineCanaryShares(mainDeclared: readonly number[], shares: ReadonlyArray<number | undefined>): number[] {
  const canaryExact = shares.map((s) => (s ?? 0) * TOTAL_BASIS_POINTS);
  const mainShare = TOTAL_BASIS_POINTS - canaryExact.reduce((a, b) => a + b, 0);
  if (canaryExact.every((x) => x === 0)) return [...mainDeclared, ...shares.map(() => 0)];
  const exact = [...mainDeclared.map((bp) => (bp * mainShare) / TOTAL_BASIS_POINTS), ...canaryExact];
  return normaliseRelative(exact);
}

// A group is kept while what it is made of is: the same planned group (its Ingress unchanged), no
// canary, every backend ready and resolved to the same object. Nothing then has a diagnostic to say,
// and the very same SplitGroup lets translation and encoding skip the host.
const kept = new WeakMap<
  PlannedGroup,
  { state: ClusterState; sticky: DraftGroup['sticky']; source: DraftGroup['source']; resolutions: Resolution[]; clusters: ClusterModel[]; group: SplitGroup }
>();

export function resolveGroup(draft: DraftGroup, state: ClusterState, clusters: Map<string, ClusterModel>): SplitGroup {
  // The same cluster state (no Service or EndpointSlice changed) resolves every backend as before: a
  // kept group needs no resolving at all.
  const same = kept.get(draft.planned);
  if (same && same.state === state && draft.canaries.length === 0 && same.sticky === draft.sticky && same.source === draft.source) {
    for (const c of same.clusters) if (!clusters.has(c.name)) clusters.set(c.name, c);
    return same.group;
  }
  const label = groupLabel(draft);
  const resolutions = draft.backends.map((v) => resolveBackend(state, v.namespace, v.service, v.port));
  resolutions.forEach((r, i) => {
    if (r.cluster !== null && r.port !== undefined && !clusters.has(r.cluster)) {
      const v = draft.backends[i]!;
      clusters.set(r.cluster, clusterModel(r.cluster, v.namespace, v.service, r.port, r.endpoints));
    }
  });
  const reusable = draft.canaries.length === 0 && resolutions.every((r) => r.ok);
  if (reusable) {
    const last = kept.get(draft.planned);
    if (last && last.sticky === draft.sticky && last.source === draft.source && sameObjects(last.resolutions, resolutions)) {
      kept.set(draft.planned, { ...last, state });
      return last.group;
    }
  }
  const group = buildGroup(draft, resolutions, label);
  if (reusable) {
    const used = resolutions.flatMap((r) => (r.cluster !== null && clusters.has(r.cluster) ? [clusters.get(r.cluster)!] : []));
    kept.set(draft.planned, { state, sticky: draft.sticky, source: draft.source, resolutions, clusters: used, group });
  }
  return group;
}

function buildGroup(draft: DraftGroup, resolutions: Resolution[], label: string): SplitGroup {
  const ready = resolutions.map((r) => r.ok);
  const declared = combineCanaryShares(
    draft.mainDeclared,
    draft.canaries.map((c) => c.share),
  );
  const { basisPoints, outcome } = applyReadiness(declared, ready);
  draft.backends.forEach((v, i) => {
    const r = resolutions[i]!;
    if (r.ok) return;
    const consequence =
      outcome === 'none-ready'
        ? `no backend of ${label} is ready, so the declared weights stay and Envoy answers 503 until one is`
        : declared[i]! > 0
          ? `its ${declared[i]! / 100}% of ${label} goes to the ready backends`
          : `it takes no traffic of ${label}`;
    v.sink.warning(`${v.field}.service.name`, `${r.reason}; ${consequence}`);
  });
  if (outcome === 'ready-had-no-weight') {
    draft.sink.warning(draft.field, `every backend of ${label} with weight is not ready, so the ready backends share the traffic equally`);
  }
  const backends: Backend[] = draft.backends.map((v, i) => {
    const version: Backend = {
      service: v.service,
      cluster: resolutions[i]!.cluster,
      declaredBasisPoints: declared[i]!,
      basisPoints: basisPoints[i]!,
      ready: ready[i]!,
    };
    if (v.canaryOf) version.canaryOf = v.canaryOf;
    version.namespace = v.namespace;
    version.port = v.port;
    return version;
  });
  const group: SplitGroup = {
    source: draft.source,
    host: draft.host,
    path: draft.path,
    pathType: draft.pathType,
    backends,
    rules: routeRules(draft, backends),
    order: draft.order,
  };
  if (draft.sticky && backends.length > 1) {
    group.sticky = draft.sticky;
    group.stickyValues = stickyValues(draft.sticky, backends);
  }
  return group;
}

// The same cluster with the same endpoint list (kept by identity, see readyEndpoints) is the same
// object from build to build, so translation and encoding can tell "unchanged" without looking inside.
const clusterModels = new WeakMap<EndpointAddress[], ClusterModel>();
export function clusterModel(name: string, namespace: string, service: string, port: number, endpoints: EndpointAddress[]): ClusterModel {
  const known = clusterModels.get(endpoints);
  if (known && known.name === name && known.namespace === namespace && known.service === service && known.port === port) return known;
  const model: ClusterModel = { name, namespace, service, port, endpoints };
  clusterModels.set(endpoints, model);
  return model;
}
